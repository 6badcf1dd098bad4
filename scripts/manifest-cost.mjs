#!/usr/bin/env node
/**
 * What validating a large manifest costs (issue 16 §4: the manifest goes
 * through a valibot schema): `npx tsc -p tsconfig.json && node scripts/manifest-cost.mjs`.
 * Builds a manifest the shape of the bench tree (bench/tree.ts FULL_SHAPE:
 * 320 dirs, 20,000 files, 40 links) and prints the median of 5 runs of
 * `decodeManifest` (JSON.parse + validation) in CPU ms (user+sys of this
 * process, so a busy machine inflates it less than wall time), and of the
 * validation alone on an already parsed value.
 */
import { decodeManifest, validateManifest } from '../dist/src/core/manifest.js';

const D = (i) => `sha256:${i.toString(16).padStart(64, '0')}`;
const actions = [];
const dirs = [];
for (let d = 0; d < 320; d++) {
  const path = d < 20 ? `usr/share/pkg/d${d}` : `usr/share/pkg/d${d % 20}/s${d}`;
  dirs.push(path);
}
actions.push({ type: 'dir', path: 'usr', mode: '0755', owner: 'root', group: 'root' }, { type: 'dir', path: 'usr/share', mode: '0755', owner: 'root', group: 'root' }, { type: 'dir', path: 'usr/share/pkg', mode: '0755', owner: 'root', group: 'root' });
for (const path of dirs) actions.push({ type: 'dir', path, mode: '0755', owner: 'root', group: 'root' });
for (let i = 0; i < 20_000; i++) actions.push({ type: 'file', path: `${dirs[i % dirs.length]}/file-${i}.txt`, mode: i % 97 === 0 ? '0755' : '0644', owner: 'root', group: 'root', size: 1000 + i, digest: D(i) });
for (let i = 0; i < 40; i++) actions.push({ type: 'link', path: `${dirs[i]}/link-${i}`, target: `file-${i}.txt`, owner: 'root', group: 'root' });
const manifest = { format: 1, name: 'bench-tree', version: '1.0-1', arch: 'amd64', summary: 's', description: 'd', license: 'MIT', depends: ['libc6 (>= 2.36)'], conflicts: [], provides: [], replaces: [], actions };
const bytes = Buffer.from(JSON.stringify(manifest));

const cpuMs = (f) => {
  const t0 = process.cpuUsage();
  f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000;
};
const median = (f) => {
  const xs = [];
  for (let i = 0; i < 5; i++) xs.push(cpuMs(f));
  return xs.sort((a, b) => a - b)[2];
};
decodeManifest(bytes); // warm-up: JIT and the schema's first run
const decode = median(() => decodeManifest(bytes));
const parsed = JSON.parse(bytes.toString('utf8'));
const validate = median(() => validateManifest(parsed));
console.log(`manifest of ${actions.length} actions (${(bytes.length / 1e6).toFixed(1)} MB JSON), median of 5, CPU time`);
console.log(`  decodeManifest (JSON.parse + validation): ${decode.toFixed(0)} ms`);
console.log(`  validateManifest alone: ${validate.toFixed(0)} ms (${((validate * 1e6) / actions.length).toFixed(0)} ns per action)`);
