/** Helpers for tests that drive the real `zpkg` binary on real directories. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { formatPublicKey, generateSigningKey, privateKeyPem } from '../../src/repo/trust/keys.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(REPO_ROOT, 'bin/zpkg.js');

/**
 * The signing key of test repositories, made once per test process. Every run
 * gets it as ZPKG_REPO_KEY, so `repo create` makes signed repositories and
 * publishes sign them; images trust it with `remote add … ...TRUST`.
 */
const testKey = generateSigningKey();
export const TEST_KEY = join(mkdtempSync(join(tmpdir(), 'zpkg-test-key-')), 'repo.key');
writeFileSync(TEST_KEY, privateKeyPem(testKey), { mode: 0o600 });
export const TEST_PUB = formatPublicKey(testKey.entry);
export const TRUST = ['--key', TEST_PUB];

export interface Run {
  status: number;
  /** The signal that ended zpkg (SIGKILL when `timeoutMs` ran out), else null. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is one document. */
  json: any;
}

export interface RunOptions {
  input?: string;
  cwd?: string;
  env?: Record<string, string>;
  /**
   * Kill zpkg (SIGKILL) if it still runs after this long: for a test whose claim
   * is that zpkg returns by itself (a timeout it enforces, a lock it does not wait
   * for). Choose it wide (a minute): it bounds a hang, it does not measure speed.
   */
  timeoutMs?: number;
}

export function zpkg(args: string[], options: RunOptions = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    input: options.input ?? '',
    cwd: options.cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ZPKG_REPO_KEY: TEST_KEY, ...options.env },
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs, killSignal: 'SIGKILL' as const } : {}),
  });
  let json: unknown;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    json = undefined;
  }
  return { status: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json };
}

/** Runs zpkg and fails with its output when it does not exit 0. */
export function ok(args: string[], options: Parameters<typeof zpkg>[1] = {}): Run {
  const r = zpkg(args, options);
  if (r.status !== 0) throw new Error(`zpkg ${args.join(' ')} exited ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export function tempDir(prefix = 'zpkg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export type TreeEntry = string | { content: string | Buffer; mode?: number } | { link: string };

/** Writes a package source: `zpkg.yaml` from `recipe` and a `root/` tree from `files`. */
export function writePackage(dir: string, recipe: Record<string, unknown>, files: Record<string, TreeEntry>): string {
  mkdirSync(join(dir, 'root'), { recursive: true });
  writeFileSync(join(dir, 'zpkg.yaml'), stringify({ summary: '', description: '', license: 'MIT', arch: 'all', owner: 'root', group: 'root', root: 'root', ...recipe }));
  for (const [path, entry] of Object.entries(files)) {
    const abs = join(dir, 'root', path);
    mkdirSync(dirname(abs), { recursive: true });
    if (typeof entry === 'string') writeFileSync(abs, entry);
    else if ('link' in entry) symlinkSync(entry.link, abs);
    else {
      writeFileSync(abs, entry.content);
      if (entry.mode !== undefined) chmodSync(abs, entry.mode);
    }
  }
  return dir;
}

/** A new repository `WORK/repo`, and a function that builds one package version into it (its source under WORK). */
export function newRepo(work: string): { repo: string; build: (name: string, version: string, recipe: Record<string, unknown>, files: Record<string, TreeEntry>) => void } {
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const build = (name: string, version: string, recipe: Record<string, unknown>, files: Record<string, TreeEntry>): void => {
    ok(['build', writePackage(join(work, `src-${name}-${version}`), { name, version, ...recipe }, files), '--repo', repo]);
  };
  return { repo, build };
}

/** Every entry under `root` with type, mode, owner, size and content digest or link target: equal snapshots mean nothing changed. */
export function snapshot(root: string, skip: (rel: string) => boolean = () => false): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip(r)) continue;
      const abs = join(dir, name);
      const st = lstatSync(abs);
      const head = `${r} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        out.push(`${head} dir`);
        walk(abs, r);
      } else if (st.isSymbolicLink()) out.push(`${head} link ${readlinkSync(abs)}`);
      // A FIFO or device is described, never read (reading one would hang or never end).
      else if (!st.isFile()) out.push(`${head} ${st.isFIFO() ? 'fifo' : st.isCharacterDevice() || st.isBlockDevice() ? `device ${st.rdev}` : 'other'}`);
      else out.push(`${head} file ${st.size} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`);
    }
  };
  walk(root, '');
  return out;
}
