#!/usr/bin/env node
// Usage (after `npm run build`): node scripts/facet-savings.mjs FILE.deb... — the figure of README "Facets".
// Bytes the default facet rules leave out of a set of .deb files (their data listing, as import-deb tags them) with
// facets {doc: false, man: false, 'locale.*': false, locale.en: true, devel: false}.
import { execFileSync } from 'node:child_process';
import { defaultFacets, facetEnabled } from '../dist/src/core/facets.js';
const settings = { doc: false, man: false, 'locale.*': false, 'locale.en': true, devel: false };
let total = 0, saved = 0, files = 0, left = 0; const byFacet = {};
for (const deb of process.argv.slice(2)) {
  for (const line of execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' }).split('\n')) {
    const m = /^-\S+\s+\S+\s+(\d+)\s+\S+\s+\S+\s+\.\/(.*)$/.exec(line);
    if (!m) continue;
    const size = Number(m[1]); const path = m[2].replace(/ link to .*$/, '');
    files++; total += size;
    const f = defaultFacets(path);
    if (f.length && !f.some((x) => facetEnabled(settings, x))) { saved += size; left++; const k = f[0].startsWith('locale.') ? 'locale.*' : f[0]; byFacet[k] = (byFacet[k] ?? 0) + size; }
  }
}
console.log(JSON.stringify({ debs: process.argv.length - 2, files, bytes: total, filesLeftOut: left, bytesSaved: saved, percent: +(saved / total * 100).toFixed(1), byFacet }));
