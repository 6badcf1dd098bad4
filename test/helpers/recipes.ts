/** Helpers for the builder's tests: recipe directories, tarballs, manifests read back from a repository. */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import type { Manifest } from '../../src/core/manifest.js';
import { recordPath } from '../../src/repo/layout.js';
import { inflateRecord, recordManifestBytes } from '../../src/repo/record.js';
import { BIN, TEST_KEY, type Run } from './zpkg.js';

/** Writes `dir/zpkg.yaml` from `recipe` and every file of `files` (relative to `dir`; `{content, mode}` sets a mode). */
export function writeRecipe(dir: string, recipe: Record<string, unknown>, files: Record<string, string | { content: string; mode: number }> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'zpkg.yaml'), stringify({ license: 'MIT', owner: 'root', group: 'root', ...recipe }));
  for (const [path, entry] of Object.entries(files)) {
    const abs = join(dir, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, typeof entry === 'string' ? entry : entry.content);
    if (typeof entry !== 'string') chmodSync(abs, entry.mode);
  }
  return dir;
}

/** A .tar.gz of `files` under a top directory `top/`, made by the system's tar. */
export function tarball(out: string, top: string, files: Record<string, string>): string {
  const stage = `${out}.stage`;
  for (const [path, content] of Object.entries(files)) {
    const abs = join(stage, top, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync('tar', ['-czf', out, '-C', stage, top]);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  spawnSync('rm', ['-rf', stage]);
  return out;
}

/** A published manifest, read back from a dir repository by its digest. */
export function readManifest(repo: string, digest: string): Manifest {
  const path = recordPath(digest as `sha256:${string}`);
  const raw = inflateRecord(readFileSync(join(repo, path)), path);
  return JSON.parse(recordManifestBytes(raw, digest as `sha256:${string}`, path).manifestBytes.toString('utf8')) as Manifest;
}

/** Like `zpkg()` but without blocking this process, so a server in the test can answer. */
export function zpkgAsync(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ZPKG_REPO_KEY: TEST_KEY, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => {
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ status: code ?? -1, signal, stdout, stderr, json });
    });
  });
}
