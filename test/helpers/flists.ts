/** Helpers of the flist tests: the real fixtures, sqlite3 as the reader of record, the rfs model in Python. */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompress } from '../../src/repo/compress.js';
import { REPO_ROOT } from './zpkg.js';

export const FIXTURES = join(REPO_ROOT, 'test/fixtures/flists');
export const FIXTURE_NAMES = ['hello', 'alpine', 'sqlite3', 'redis'] as const;
const MODEL = join(REPO_ROOT, 'test/helpers/rfs_model.py');
/** Debian's python3 with python3-snappy and python3-cryptography (scripts/pretest.mjs installs them). */
const PYTHON = '/usr/bin/python3';

/** Unpacks a fixture into `dir` as `NAME.fl` (or `as`), checked against SHA256SUMS. */
export function fixtureFlist(name: string, dir: string, as = `${name}.fl`): string {
  const bytes = decompress(readFileSync(join(FIXTURES, `${name}.fl.zst`)));
  const sums = readFileSync(join(FIXTURES, 'SHA256SUMS'), 'utf8');
  const want = new RegExp(`^([0-9a-f]{64})  ${name}\\.fl$`, 'm').exec(sums)?.[1];
  const have = createHash('sha256').update(bytes).digest('hex');
  if (have !== want) throw new Error(`fixture ${name}.fl: sha256 ${have}, SHA256SUMS says ${want}`);
  const path = join(dir, as);
  writeFileSync(path, bytes);
  return path;
}

/** Rows of a query, as the sqlite3 command-line tool reads them (`-json`). */
export function sqlite(fl: string, sql: string): Record<string, any>[] {
  const out = execFileSync('sqlite3', ['-json', fl, sql], { encoding: 'utf8' }).trim();
  return out ? JSON.parse(out) : [];
}

/** Runs a statement on an flist with sqlite3 (to tamper with it). */
export function sqliteExec(fl: string, sql: string): void {
  execFileSync('sqlite3', [fl, sql]);
}

/** Every inode's path, as a recursive query over `inode` builds it ('' for the root). */
export const PATHS_CTE = `WITH RECURSIVE p(ino, path) AS (SELECT ino, '' FROM inode WHERE parent = 0 UNION ALL SELECT i.ino, CASE WHEN p.path = '' THEN i.name ELSE p.path || '/' || i.name END FROM inode i JOIN p ON i.parent = p.ino)`;

/** The rfs model (test/helpers/rfs_model.py): `pack SRC FL STORE` or `unpack FL STORE DEST`. */
export function rfsModel(args: string[]): string {
  return execFileSync(PYTHON, [MODEL, ...args], { encoding: 'utf8' });
}

/** `stat.filemode` of Python: `ls -l`'s mode column, from an implementation other than zpkg's. */
export function filemodes(modes: number[]): string[] {
  return JSON.parse(execFileSync(PYTHON, ['-c', 'import json, stat, sys; print(json.dumps([stat.filemode(m) for m in json.load(sys.stdin)]))'], { input: JSON.stringify(modes), encoding: 'utf8' }));
}
