/**
 * Running a recipe's `build:` script — the shape of zos's `build_<name>`
 * functions that install into a ROOTDIR. The script runs under `/bin/sh -e` in
 * ZPKG_WORKDIR with a clean environment (nothing of the caller's leaks in):
 *
 *   ZPKG_DESTDIR   the install target; what the script puts here is packed
 *   ZPKG_SRCDIR    the recipe's sources, archives unpacked
 *   ZPKG_WORKDIR   scratch space, the current directory
 *   ZPKG_VERSION   the recipe's version; also ZPKG_NAME, ZPKG_ARCH
 *   ZPKG_JOBS      the thread budget (`--threads`, ZPKG_THREADS, else the cores)
 *   PATH HOME LANG LC_ALL TZ   a sane fixed set (HOME is ZPKG_WORKDIR)
 *
 * Its stdout and stderr go, interleaved, to a log file; a failure names the
 * exit status, the log and its last lines.
 */
import { spawn } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { threadBudget } from '../fs/threads.js';
import type { Recipe } from './recipe.js';

export const LOG_TAIL_LINES = 20;

/** The directories of one build, all under `top`. */
export interface BuildDirs {
  top: string;
  src: string;
  work: string;
  dest: string;
}

export function buildEnv(recipe: Recipe, dirs: BuildDirs): Record<string, string> {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: dirs.work,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    ZPKG_DESTDIR: dirs.dest,
    ZPKG_SRCDIR: dirs.src,
    ZPKG_WORKDIR: dirs.work,
    ZPKG_VERSION: recipe.version,
    ZPKG_NAME: recipe.name,
    ZPKG_ARCH: recipe.arch,
    // What `--threads` (or ZPKG_THREADS) allows zpkg, so a limited build stays limited through `make -j`.
    ZPKG_JOBS: String(threadBudget()),
  };
}

/** The last `n` lines of a log, for an error message. */
export function logTail(log: string, n = LOG_TAIL_LINES): string[] {
  let text: string;
  try {
    text = readFileSync(log, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-n);
}

/** Runs the script to completion; throws E_BUILD_FAILED with the log's tail when it fails. */
export async function runBuildScript(recipe: Recipe, script: string, dirs: BuildDirs, log: string, signal?: AbortSignal): Promise<void> {
  const file = join(dirs.top, 'build.sh');
  writeFileSync(file, script.endsWith('\n') ? script : `${script}\n`);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'w');
  let outcome: { code: number | null; signal: NodeJS.Signals | null; error?: Error };
  try {
    writeSync(fd, `# zpkg build ${recipe.name} ${recipe.version} — ${new Date().toISOString()}\n`);
    outcome = await new Promise((resolve) => {
      const child = spawn('/bin/sh', ['-e', file], { cwd: dirs.work, env: buildEnv(recipe, dirs), stdio: ['ignore', fd, fd], signal });
      child.on('error', (error) => resolve({ code: null, signal: null, error }));
      child.on('close', (code, sig) => resolve({ code, signal: sig }));
    });
  } finally {
    closeSync(fd);
  }
  if (outcome.code === 0) return;
  const how = outcome.error ? outcome.error.message : outcome.signal ? `killed by ${outcome.signal}` : `exit status ${outcome.code}`;
  const tail = logTail(log);
  throw new ZpkgError('E_BUILD_FAILED', `the build script of ${recipe.name} ${recipe.version} failed (${how}); last lines of ${log}:`, {
    hint: `the whole log is ${log}`,
    details: { log, explanation: tail.length ? tail : ['(the script printed nothing)'] },
  });
}

const BUILD_ENTRIES = new Set(['src', 'work', 'dest', 'build.sh']);

/**
 * After the script: ZPKG_DESTDIR must still be a real directory (not a link
 * that would make the packer read some other tree), and nothing may have been
 * written beside it (`$ZPKG_DESTDIR/../x`): a path outside the destination is
 * a build escaping it. Links inside the destination may point anywhere; they
 * are packed as links.
 */
export function checkContained(recipe: Recipe, dirs: BuildDirs): void {
  const escaped = readdirSync(dirs.top).filter((e) => !BUILD_ENTRIES.has(e));
  if (escaped.length > 0) {
    throw new ZpkgError('E_PATH_UNSAFE', `the build of ${recipe.name} ${recipe.version} wrote outside ZPKG_DESTDIR: ${escaped.map((e) => `\`${join(dirs.top, e)}\``).join(', ')}`, {
      hint: 'install only under "$ZPKG_DESTDIR" (paths with `..` climb out of it)',
    });
  }
  let st;
  try {
    st = lstatSync(dirs.dest);
  } catch {
    st = undefined;
  }
  if (!st?.isDirectory()) {
    throw new ZpkgError('E_PATH_UNSAFE', `the build of ${recipe.name} ${recipe.version} replaced ZPKG_DESTDIR with ${st ? 'a link or a file' : 'nothing'}; it must stay the directory it was given`);
  }
}
