#!/usr/bin/env node
// Issue 16 §3: the cost of a large legitimate catalog. `node scripts/large-catalog.mjs [N]` (default
// 1,000,000; run `npm run build` first) makes an unsigned directory repository holding two real
// packages (hello → libx) and N catalog-only versions that depend on each other and on libx, then
// prints elapsed time, user CPU and peak memory of `refresh` and `install -n hello` in a fresh image.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOP = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(TOP, 'bin/zpkg.js');
const D = join(TOP, 'dist/src');
const { DirBackend } = await import(join(D, 'repo/dir-backend.js'));
const { readSnapshot, commitSnapshot } = await import(join(D, 'repo/snapshot.js'));
const { prepareRoot } = await import(join(D, 'repo/trust/sign.js'));

const n = Number(process.argv[2] ?? 1_000_000);
const work = mkdtempSync(join(tmpdir(), 'zpkg-large-catalog-'));
const env = { ...process.env, ZPKG_REPO_KEY: '' };
const zpkg = (args) => execFileSync(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
const repo = join(work, 'repo');
zpkg(['repo', 'create', repo]);
for (const [name, extra] of [['libx', ''], ['hello', 'depends: [libx]\n']]) {
  const dir = join(work, name);
  mkdirSync(join(dir, 'root/usr/share', name), { recursive: true });
  writeFileSync(join(dir, 'root/usr/share', name, 'x'), `${name}\n`);
  writeFileSync(join(dir, 'zpkg.yaml'), `name: ${name}\nversion: "1"\nsummary: ""\ndescription: ""\nlicense: MIT\narch: all\nowner: root\ngroup: root\nroot: root\n${extra}`);
  zpkg(['build', dir, '--repo', repo]);
}
const w = new DirBackend(repo);
const snap = await readSnapshot(w);
const entries = [...snap.entries];
const digest = `sha256:${'ab'.repeat(32)}`;
for (let i = 0; i < n; i++) {
  const depends = i > 0 ? [[{ name: `pkg-${(i * 7919) % i}`, constraint: { op: '>=', version: '1.0' } }], [{ name: `lib-${i % 1000}` }, { name: 'libx' }]] : [];
  entries.push({ name: `pkg-${i}`, version: `1.${i % 17}-1`, arch: 'amd64', summary: `package number ${i}`, depends, conflicts: [], provides: i < 1000 ? [{ name: `lib-${i}` }] : [], replaces: [], manifest: digest, size: 1000 + i, installedSize: 4000 });
}
const root = await commitSnapshot(w, prepareRoot(repo, snap.root, undefined), entries, new Map());
console.log(`repository ${repo}: ${root.catalog.packages} versions, catalog ${root.catalog.size} bytes stored`);
const image = join(work, 'image');
mkdirSync(image);
zpkg(['--root', image, 'remote', 'add', 'main', repo, '--insecure']);
console.log(`load average: ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}`);
for (const args of [['refresh'], ['install', '-n', 'hello']]) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e s elapsed, %U s user, %M KB max RSS', process.execPath, BIN, '--root', image, ...args], { env, encoding: 'utf8' });
  console.log(`${args.join(' ')}: ${r.stderr.trim().split('\n').pop()}${r.status ? ` (exit ${r.status})` : ''}`);
}
