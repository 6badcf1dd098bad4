/**
 * `sync`: the image holds exactly a list of packages and versions after one
 * transaction (the zos release-tag model). No solver: the target is given; it
 * must hold together on its own unless forced. The list is a sync file or a
 * release set in a catalog.
 */
import type { Candidate, CatalogEntry } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { readBounded } from '../fs/in-root.js';
import { parseVersion } from '../core/version.js';
import type { Image } from '../image/image.js';
import { listRemotes, loadCandidates } from '../image/remotes.js';
import { listPackages, toInstalled } from '../image/state.js';
import { candidatesView, imageLinks } from './solver-view.js';
import { inconsistencies, setFromCatalog } from '../solver/index.js';
import { admitFor, refusedError, type Admitted } from './admission.js';
import { changeImage, type ChangeOptions } from './change.js';
import { isAdoptedBase } from './protect.js';
import { noRemotes } from './solve.js';
import { catalogRelations, type Landing, type Target } from './target.js';
import type { TransactionResult } from './transaction.js';

/** One package and version the image must hold. */
export interface SyncPin {
  name: string;
  version: string;
  requested: boolean;
}

/** Where the list comes from: a sync file, or a release set (`NAME`, `NAME=VERSION` or `NAME@VERSION`) in the remotes' catalogs. */
export type SyncSource = { file: string } | { set: string };

export interface SyncOptions extends ChangeOptions {
  /** Apply even when the target set does not hold together. */
  force?: boolean;
}

export { parseSetSpec, setFromCatalog } from '../solver/index.js';

const PIN = /^([a-z0-9][a-z0-9+.-]*)(?:\s+|\s*=\s*)(\S+)$/;

function invalid(message: string): ZpkgError {
  return new ZpkgError('E_INPUT_INVALID', message, { hint: 'a sync file has one `NAME VERSION` (or `NAME=VERSION`) per line; `#` starts a comment' });
}

const SYNC_FILE_LIMIT = 64 << 20;

/** A sync file: one `NAME VERSION` or `NAME=VERSION` per line; `#` starts a comment. */
export function parseSyncFile(path: string): SyncPin[] {
  let bytes: Buffer | undefined;
  try {
    // A release set names packages, one per line: 64 MiB is far more than any; a FIFO or device is refused unread.
    bytes = readBounded(path, { maxBytes: SYNC_FILE_LIMIT, code: 'E_INPUT_INVALID', what: `the sync file ${path}` });
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_NOT_FOUND', `cannot read the sync file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (bytes === undefined) throw new ZpkgError('E_NOT_FOUND', `cannot read the sync file ${path}: ENOENT`);
  const text = bytes.toString('utf8');
  const seen = new Set<string>();
  const out: SyncPin[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) return;
    const m = PIN.exec(line);
    if (!m) throw invalid(`${path}:${i + 1}: expected \`NAME VERSION\` or \`NAME=VERSION\`, got \`${line}\``);
    try {
      parseVersion(m[2]!);
    } catch (err) {
      throw invalid(`${path}:${i + 1}: ${(err as Error).message}`);
    }
    if (seen.has(m[1]!)) throw invalid(`${path}:${i + 1}: \`${m[1]}\` is listed twice`);
    seen.add(m[1]!);
    out.push({ name: m[1]!, version: m[2]!, requested: true });
  });
  return out;
}

function lookup(admitted: Admitted, pin: SyncPin): Candidate {
  const pool = admitted.admitted;
  const hits = pool.filter((c) => c.name === pin.name && c.version === pin.version).sort((a, b) => b.priority - a.priority);
  if (hits[0]) return hits[0];
  const refused = refusedError({ name: pin.name, constraint: { op: '=', version: pin.version } }, admitted);
  if (refused) throw refused;
  const known = pool.filter((c) => c.name === pin.name).map((c) => c.version);
  throw new ZpkgError(known.length ? 'E_VERSION_UNKNOWN' : 'E_PACKAGE_UNKNOWN', `${pin.name} ${pin.version} is not offered by any remote`, { hint: known.length ? `available: ${known.join(', ')}` : undefined });
}

/** The target that makes the image hold exactly `pins`: what is installed at the pinned version stays, the rest lands from the remotes. */
export async function syncTarget(image: Image, source: SyncSource | SyncPin[], options: { command: string; force?: boolean }): Promise<Target> {
  let pool: Candidate[] | undefined;
  const candidates = async (): Promise<Candidate[]> => {
    if (listRemotes(image).length === 0) throw noRemotes(image);
    return (pool ??= await loadCandidates(image));
  };
  let admitted: Admitted | undefined;
  const admittedCandidates = async (): Promise<Admitted> => (admitted ??= admitFor(image, await candidates()));
  const pins = Array.isArray(source) ? source : 'file' in source ? parseSyncFile(source.file) : setFromCatalog(await candidates(), source.set);
  const installed = new Map(listPackages(image.db).map((p) => [p.name, p]));
  const land: Landing[] = [];
  const finalSet: CatalogEntry[] = [];
  for (const pin of pins) {
    const have = installed.get(pin.name);
    if (have && have.version === pin.version) {
      finalSet.push(toInstalled(have));
      continue;
    }
    const c = lookup(await admittedCandidates(), pin);
    finalSet.push(c);
    land.push({ name: pin.name, version: pin.version, manifest: c.manifest, remote: c.remote, requested: pin.requested, held: have?.held ?? false, ...(have ? { from: have } : {}), catalog: catalogRelations(c) });
  }
  const wanted = new Set(pins.map((p) => p.name));
  // The adopted base is in every set: a release set describes what repositories deliver, never the base below it.
  for (const p of installed.values()) {
    if (wanted.has(p.name) || !isAdoptedBase(image, p)) continue;
    wanted.add(p.name);
    finalSet.push(toInstalled(p));
  }
  const problems = inconsistencies(candidatesView(finalSet, imageLinks(image)));
  if (problems.length && !options.force) {
    throw new ZpkgError('E_UNSATISFIABLE', 'the target set does not hold together', { hint: 'fix the list, or pass --force to apply it anyway', details: { explanation: problems } });
  }
  return {
    command: options.command,
    land,
    remove: [...installed.values()].filter((p) => !wanted.has(p.name)),
    flags: pins.map((p) => ({ name: p.name, requested: p.requested })),
  };
}


export function sync(image: Image, source: SyncSource | SyncPin[], options: SyncOptions): Promise<TransactionResult> {
  return changeImage(image, options, () => syncTarget(image, source, options));
}
