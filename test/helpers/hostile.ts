/**
 * The harness of the hostile-input corpus (issue 16): every case is refused
 * with a typed error, leaves the image as it was (tree and state rows), and
 * touches nothing outside the image — a sentinel directory beside it, which
 * hostile links point at, is compared before and after.
 *
 * A case file under `test/hostile/` builds its input with `craft` (a
 * hand-made manifest published below the builder's checks) or by writing
 * files into a directory repository, then calls `expectRefused`.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { digestOf } from '../../src/core/digest.js';
import { isZpkgError } from '../../src/core/errors.js';
import { ok, snapshot, tempDir, zpkg, TRUST, type Run, type RunOptions } from './zpkg.js';

export interface HostileWorld {
  /** A scratch directory of this test file. */
  work: string;
  /** A directory outside every image, with known content: hostile links aim here. */
  sentinel: string;
  /** A signed directory repository (`repo create`), empty at first. */
  repo: string;
}

/**
 * An empty signed repository `repo create` made once per test process; each
 * world gets a copy, what another `repo create` with the same key would make
 * but for its random identity and timestamps (a zpkg process fewer per case:
 * in-root.test.ts alone makes 31 worlds).
 */
let emptyRepository: string | undefined;

/** A fresh scratch directory, its sentinel and an empty signed repository. */
export function hostileWorld(prefix = 'zpkg-hostile-'): HostileWorld {
  const work = tempDir(prefix);
  const sentinel = join(work, 'sentinel');
  mkdirSync(join(sentinel, 'etc'), { recursive: true });
  writeFileSync(join(sentinel, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(sentinel, 'etc/group'), 'root:x:0:\n');
  writeFileSync(join(sentinel, 'secret'), 'host secret: must never be read into an image or printed\n');
  if (emptyRepository === undefined) {
    const made = join(tempDir('zpkg-hostile-empty-'), 'repo');
    ok(['repo', 'create', made]);
    emptyRepository = made;
  }
  const repo = join(work, 'repo');
  cpSync(emptyRepository, repo, { recursive: true });
  return { work, sentinel, repo };
}

/**
 * Images `remote add` and `refresh` made, by what they were made from: the
 * remote, its trust, and the exact bytes of every file a refresh reads —
 * root.json, the key rotations, the catalog and the file index (a case may
 * damage one in place). A copy of such an image is what another refresh
 * against the same files would make, at a tenth of the cost of two more zpkg
 * processes.
 */
const refreshed = new Map<string, string>();

/** The key under which `refreshed` keeps an image of this directory repository, or undefined for another kind of remote. */
function refreshedKey(remote: string, trust: string[]): string | undefined {
  const rootJson = join(remote, 'root.json');
  if (!existsSync(rootJson) || !lstatSync(rootJson).isFile()) return undefined;
  const read = [rootJson];
  for (const dir of ['keys', 'catalog', 'files']) {
    const abs = join(remote, dir);
    if (existsSync(abs)) read.push(...readdirSync(abs, { recursive: true }).map((name) => join(abs, String(name))).filter((f) => lstatSync(f).isFile()).sort());
  }
  return [remote, trust.join(' '), ...read.map((f) => `${f} ${digestOf(readFileSync(f))}`)].join('\n');
}

/** An image under `world.work` subscribed to `repo` (the world's by default) and refreshed. */
export function hostileImage(world: HostileWorld, name: string, options: { repo?: string; setup?: (root: string) => void; insecure?: boolean } = {}): string {
  const root = join(world.work, name);
  const remote = options.repo ?? world.repo;
  const trust = options.insecure ? ['--insecure'] : TRUST;
  const key = options.setup || existsSync(root) ? undefined : refreshedKey(remote, trust);
  const made = key === undefined ? undefined : refreshed.get(key);
  if (made !== undefined) {
    cpSync(made, root, { recursive: true, verbatimSymlinks: true });
    return root;
  }
  mkdirSync(root, { recursive: true });
  options.setup?.(root);
  ok(['--root', root, 'remote', 'add', 'main', remote, ...trust]);
  ok(['--root', root, 'refresh']);
  if (key !== undefined) {
    const copy = join(world.work, `.refreshed-${refreshed.size}`);
    cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
    refreshed.set(key, copy);
  }
  return root;
}

/** What must not change: the image tree outside zpkg's own directory, and every row of state.db. */
export function imageState(root: string): unknown {
  const tree = snapshot(root, (rel) => rel.startsWith('var/lib/zpkg') || rel.startsWith('var/cache/zpkg'));
  const dbPath = join(root, 'var/lib/zpkg/state.db');
  if (!existsSync(dbPath)) return { tree, db: null };
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = Object.fromEntries(['packages', 'files', 'dirs', 'history'].map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
    return { tree, db: rows };
  } finally {
    db.close();
  }
}

export interface Refusal {
  /** The error code the refusal must carry. */
  code: string;
  /** What the message must say (the thing and the reason). */
  message?: RegExp;
  /** A bound on a hang: zpkg is killed after this long and the case fails. Default one minute. */
  timeoutMs?: number;
  env?: RunOptions['env'];
}

/**
 * Runs `zpkg --root ROOT --json ARGS` and asserts the refusal: non-zero exit,
 * the typed code (never E_INTERNAL), no stack trace, no staged temporaries,
 * the image and the sentinel unchanged. Returns the run for further checks.
 */
export function expectRefused(world: HostileWorld, root: string, args: string[], refusal: Refusal): Run {
  const before = imageState(root);
  const sentinelBefore = snapshot(world.sentinel);
  const r = zpkg(['--root', root, '--json', ...args], { timeoutMs: refusal.timeoutMs ?? 60_000, env: refusal.env });
  const context = `zpkg ${args.join(' ')}\nstatus ${r.status} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr.slice(-4000)}`;
  expect(r.signal, context).toBeNull();
  expect(r.status, context).not.toBe(0);
  expect(r.json?.error?.code, context).toBe(refusal.code);
  if (refusal.message) expect(r.json.error.message, context).toMatch(refusal.message);
  expect(r.stderr, context).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
  expect(r.stdout + r.stderr, context).not.toContain('host secret');
  expect(imageState(root), context).toEqual(before);
  expect(snapshot(root).filter((l) => /\.zpkg-(tmp|stage)/.test(l)), context).toEqual([]);
  expect(snapshot(world.sentinel), context).toEqual(sentinelBefore);
  return r;
}

/** A file action for a hand-made manifest, with the digest of `content`. */
export const fileAction = (path: string, content: Buffer, extra: Record<string, unknown> = {}) => ({
  type: 'file',
  path,
  mode: '0644',
  owner: 'root',
  group: 'root',
  size: content.length,
  digest: digestOf(content),
  ...extra,
});

/** A link action for a hand-made manifest. */
export const linkAction = (path: string, target: string) => ({ type: 'link', path, target, owner: 'root', group: 'root' });

/** A hand-made manifest of package `name` 1.0 with `actions`; `extra` overrides any field. */
export const manifestOf = (name: string, actions: unknown[], extra: Record<string, unknown> = {}) => ({
  format: 1,
  name,
  version: '1.0',
  arch: 'all',
  summary: '',
  description: '',
  license: 'MIT',
  depends: [],
  conflicts: [],
  provides: [],
  replaces: [],
  actions,
  ...extra,
});

/** The typed error `fn` throws (the test fails when it returns or throws something else). */
export function thrown(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    expect(isZpkgError(err), String(err)).toBe(true);
    return err as { code: string; message: string };
  }
  throw new Error('expected a typed error');
}
