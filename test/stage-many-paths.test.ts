/**
 * Packages of many paths per blob or per frame (stage.ts: splitJob): 2,000
 * empty `__init__.py`-like files are one blob, 600 copies of one license
 * text another, and thousands of tiny files share one frame. Before jobs were cut, staging opened every path of a blob
 * at once (EMFILE under a 256-file limit) and handed a frame's every path to
 * a worker in one message (a 300,000-file package of tiny files ran the
 * stage worker out of its capped heap). The real binary, under `prlimit`, on
 * a real repository and image.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOB_PATHS, OPEN_PATHS } from '../src/txn/stage.js';
import { addMainRemote, publishLifecycle } from './helpers/lifecycle.js';
import { BIN, TEST_KEY, tempDir } from './helpers/zpkg.js';

const work = tempDir('zpkg-stage-many-');
const repo = join(work, 'repo');
/** Empty files: one blob taken by many more paths than OPEN_PATHS, and than the open-file limit below. */
const EMPTY = 2000;
/** Copies of one license text: a blob with content taken by more paths than the open-file limit. */
const COPIES = 600;
const LICENSE = 'Permission is hereby granted, free of charge, to any person obtaining a copy\n';
/** Tiny distinct files: one frame of more blobs than JOB_PATHS. */
const TINY = JOB_PATHS + 1500;
const tiny = (i: number): string => `t${i}\n`;

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < EMPTY; i++) files[`usr/lib/py/m${i % 50}/e${i}/__init__.py`] = '';
  for (let i = 0; i < TINY; i++) files[`usr/share/tiny/d${i % 40}/f${i}`] = tiny(i);
  for (let i = 0; i < COPIES; i++) files[`usr/share/doc/p${i}/LICENSE`] = LICENSE;
  await publishLifecycle(repo, work, [{ name: 'many', version: '1', files }]);
}, 600_000);

/** zpkg with at most `files` open files (soft and hard). */
function zpkgLimited(files: number, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('prlimit', [`--nofile=${files}:${files}`, process.execPath, BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ZPKG_REPO_KEY: TEST_KEY },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('staging many paths per blob and per frame', () => {
  it('the cuts stay below the open-file limit used here', () => {
    // Two stagers (--threads 2), each with one blob's paths open, beside what node and SQLite hold.
    expect(OPEN_PATHS * 2 + 64).toBeLessThan(256);
    expect(EMPTY).toBeGreaterThan(256);
    expect(COPIES).toBeGreaterThan(256);
    expect(TINY).toBeGreaterThan(JOB_PATHS);
  });

  it('installs 2,000 empty files, 600 copies of one text and a frame of more than JOB_PATHS blobs with 256 open files, byte for byte', () => {
    const root = join(work, 'image');
    addMainRemote(root, repo);
    const r = zpkgLimited(256, ['--root', root, '--threads', '2', '--json', 'install', 'many']);
    expect(r.stderr).not.toMatch(/EMFILE|memory/);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).files.written).toBe(EMPTY + TINY + COPIES);
    for (let i = 0; i < EMPTY; i++) {
      const st = lstatSync(join(root, `usr/lib/py/m${i % 50}/e${i}/__init__.py`));
      expect(st.isFile() && st.size === 0).toBe(true);
    }
    for (let i = 0; i < TINY; i++) expect(readFileSync(join(root, `usr/share/tiny/d${i % 40}/f${i}`), 'utf8')).toBe(tiny(i));
    for (let i = 0; i < COPIES; i++) expect(readFileSync(join(root, `usr/share/doc/p${i}/LICENSE`), 'utf8')).toBe(LICENSE);
    const v = zpkgLimited(256, ['--root', root, '--threads', '2', '--json', 'verify']);
    expect(v.status).toBe(0);
    expect(JSON.parse(v.stdout).problems).toEqual([]);
  });
});
