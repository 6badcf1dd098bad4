/**
 * The layers of DESIGN.md, checked on the import graph of src/ as madge reads
 * it from the TypeScript sources: no cycle anywhere; each folder imports only
 * the folders below it (the table in the README's "Architecture"); core/ and
 * solver/ do no I/O; only cli/ and report/ touch argv and the terminal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import madge from 'madge';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/zpkg.js';

const SRC = join(REPO_ROOT, 'src');

/** Which folders each folder of src/ may import (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  solver: ['core'],
  fs: ['core'],
  report: ['core'],
  repo: ['core', 'fs', 'solver'],
  image: ['core', 'fs', 'repo'],
  hooks: ['core', 'fs', 'image', 'repo', 'report'],
  site: ['core', 'fs', 'repo'],
  server: ['core', 'fs', 'repo', 'site'],
  build: ['core', 'fs', 'image', 'repo', 'report', 'solver'],
  txn: ['core', 'fs', 'hooks', 'image', 'repo', 'report', 'solver'],
  flist: ['build', 'core', 'fs', 'image', 'repo', 'report'],
  cli: ['build', 'core', 'fs', 'flist', 'hooks', 'image', 'repo', 'report', 'server', 'site', 'solver', 'txn'],
};

let graph: Record<string, string[]>;
let cycles: string[][];

beforeAll(async () => {
  const result = await madge(SRC, { fileExtensions: ['ts'], tsConfig: join(REPO_ROOT, 'tsconfig.json') });
  graph = result.obj();
  cycles = result.circular();
}, 120_000);

const folder = (file: string): string => file.split('/')[0]!;

describe('the layers of src/', () => {
  it('reads the whole tree (the check is not vacuous)', () => {
    expect(Object.keys(graph).length).toBeGreaterThan(150);
    expect(Object.keys(ALLOWED).sort()).toEqual([...new Set(Object.keys(graph).map(folder))].sort());
  });

  it('has no import cycle', () => {
    expect(cycles).toEqual([]);
  });

  it('each folder imports only the folders below it', () => {
    const wrong: string[] = [];
    for (const [file, deps] of Object.entries(graph)) {
      for (const dep of deps) {
        const from = folder(file);
        const to = folder(dep);
        if (from !== to && !ALLOWED[from]!.includes(to)) wrong.push(`${file} → ${dep}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('core/ and solver/ do no I/O: no node module but crypto', () => {
    const io: string[] = [];
    for (const file of Object.keys(graph).filter((f) => /^(core|solver)\//.test(f))) {
      for (const m of readFileSync(join(SRC, file), 'utf8').matchAll(/from '(node:[a-z_/]+|fs|net|child_process|worker_threads)'/g)) {
        if (m[1] !== 'node:crypto') io.push(`${file} imports ${m[1]}`);
      }
    }
    expect(io).toEqual([]);
  });

  it('only cli/ and report/ touch argv and the terminal', () => {
    const touching: string[] = [];
    for (const file of Object.keys(graph).filter((f) => !/^(cli|report)\//.test(f))) {
      const text = readFileSync(join(SRC, file), 'utf8');
      for (const pattern of [/process\.argv/, /console\.(log|error|warn|info)\(/, /process\.std(out|err)\b/, /from 'commander'/]) {
        if (pattern.test(text)) touching.push(`${file}: ${pattern.source}`);
      }
    }
    expect(touching).toEqual([]);
  });
});
