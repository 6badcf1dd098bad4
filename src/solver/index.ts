/**
 * The dependency solver: a pure function from (pool, installed set, request,
 * policy) to a plan or an explanation. No I/O.
 *
 * Build the pool once per set of remotes (`buildPool`) and pass it to every
 * call; the functions also accept a plain candidate list and index it for that
 * one call.
 */
export { buildPool, Pool } from './pool.js';
export { solve } from './solve.js';
export { why } from './why.js';
export { unneeded } from './unneeded.js';
export { supersededBy } from './supersede.js';
export { checkInstallable } from './check.js';
export { brokenDependents, inconsistencies } from './consistency.js';
export { addOverlapConflicts, explainOverlaps, type Overlap, type PathsOf } from './overlaps.js';
export type * from './types.js';
export { parseSetSpec, setFromCatalog, type SetMember } from './release-set.js';
