/**
 * What the valibot shape check of format-1 catalog entries costs (issue 16
 * §4): `npx tsc -p tsconfig.json && node dist/bench/schema-cost.js`. Not part
 * of `npm run bench`. Turns Debian bookworm main (the `Packages` index this
 * machine keeps, 63,440 entries) into a format-1 (JSON) catalog and prints the
 * median of 7 runs: the whole decode (JSON.parse, shape check, relation
 * parsing) and the shape check alone over every entry.
 */
import { findPackagesIndex } from '#debian-index';
import * as v from 'valibot';
import { formatAtom, formatClause } from '../src/core/relation.js';
import { decodeCatalog, FORMAT1_ENTRY } from '../src/repo/catalog-codec.js';
import { compress } from '../src/repo/compress.js';
import { importIndexFile } from '../src/repo/debian/index.js';

const index = findPackagesIndex();
if (!index) throw new Error('no Debian Packages index on this machine (see scripts/debian-index.mjs)');
const { entries } = importIndexFile(index);
const packages = entries.map((e) => ({
  name: e.name,
  version: e.version,
  arch: e.arch,
  summary: e.summary,
  depends: e.depends.map(formatClause),
  conflicts: e.conflicts.map(formatAtom),
  provides: e.provides.map(formatAtom),
  replaces: e.replaces.map(formatAtom),
  size: e.size,
  installedSize: e.installedSize,
}));
const json = Buffer.from(JSON.stringify({ format: 1, packages }));
const stored = compress(json);
const median = (f: () => void): number => {
  const xs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = process.hrtime.bigint();
    f();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return xs.sort((a, b) => a - b)[3]!;
};
const parsed = JSON.parse(json.toString('utf8')).packages as unknown[];
const decode = median(() => decodeCatalog(stored, 'bookworm'));
const shape = median(() => {
  for (const p of parsed) if (!v.safeParse(FORMAT1_ENTRY, p).success) throw new Error('a Debian entry failed the shape check');
});
console.log(`format-1 catalog of ${packages.length} entries (${(json.length / 1e6).toFixed(1)} MB JSON)`);
console.log(`  decode (JSON.parse + shape + relations): ${decode.toFixed(0)} ms`);
console.log(`  shape check alone (valibot, every entry): ${shape.toFixed(0)} ms (${((shape / decode) * 100).toFixed(0)} % of the decode, ${((shape * 1e6) / packages.length).toFixed(0)} ns per entry)`);
