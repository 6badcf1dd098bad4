/**
 * What signing costs (issue 7): `npx tsc -p tsconfig.json && node dist/bench/trust-cost.js`.
 * Not part of `npm run bench`; about 20 s. Builds a signed and an unsigned
 * repository of 20 packages in a temporary folder and prints the median of 15
 * runs each: `zpkg refresh` with nothing new (signed remote vs. insecure remote),
 * `zpkg repo sign`, and in-process parse + verify of root.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSignedRoot } from '../src/repo/root-metadata.js';
import { requireSignatures } from '../src/repo/trust/verify.js';

const BIN = fileURLToPath(new URL('../../bin/zpkg.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zpkg-trust-cost-'));
const run = (...args: string[]): void => {
  execFileSync(process.execPath, [BIN, ...args], { stdio: 'ignore', cwd: work, env: { ...process.env, ZPKG_REPO_KEY: '' } });
};
const median = (xs: number[]): number => xs.sort((a, b) => a - b)[xs.length >> 1]!;
const timed = (args: string[], reps = 15): string => {
  const xs: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run(...args);
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return `${median(xs).toFixed(1)} ms`;
};

try {
  run('repo', 'keygen', 'key');
  run('repo', 'create', 'signed', '--key', 'key');
  run('repo', 'create', 'plain');
  const srcs: string[] = [];
  for (let i = 0; i < 20; i++) {
    const src = join(work, `src${i}`);
    mkdirSync(join(src, 'root/etc'), { recursive: true });
    writeFileSync(join(src, 'zpkg.yaml'), `name: p${i}\nversion: "1"\nsummary: ""\ndescription: ""\nlicense: MIT\nroot: root\nowner: root\ngroup: root\n`);
    writeFileSync(join(src, `root/etc/p${i}`), `${i}\n`);
    srcs.push(src);
  }
  run('build', ...srcs, '--repo', 'signed', '--key', 'key');
  run('build', ...srcs, '--repo', 'plain');
  run('--root', 'signed-image', 'remote', 'add', 'main', 'signed', '--key', 'key.pub');
  run('--root', 'plain-image', 'remote', 'add', 'main', 'plain', '--insecure');
  run('--root', 'signed-image', 'refresh');
  run('--root', 'plain-image', 'refresh');
  const rows: [string, string][] = [
    ['zpkg refresh, nothing new, signed remote', timed(['--root', 'signed-image', 'refresh'])],
    ['zpkg refresh, nothing new, insecure remote', timed(['--root', 'plain-image', 'refresh'])],
    ['zpkg repo sign (re-sign, new version)', timed(['repo', 'sign', 'signed', '--key', 'key'])],
  ];
  const bytes = readFileSync(join(work, 'signed/root.json'));
  const n = 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = parseSignedRoot(bytes, 'root.json');
    requireSignatures(r, r.signed.keys, r.signed.threshold, 'root.json');
  }
  rows.push(['parse + verify root.json in process', `${(Number(process.hrtime.bigint() - t0) / 1e3 / n).toFixed(1)} µs`]);
  for (const [what, value] of rows) console.log(`${what.padEnd(46)} ${value}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
