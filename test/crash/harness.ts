/**
 * The crash-injection harness: runs a changing zpkg command in a child process,
 * kills it (SIGKILL at a named step via ZPKG_CRASH_AT, or `kill -9` after a random
 * delay), runs `zpkg recover`, and checks that files on disk and state.db agree
 * and equal exactly the state before or after the command.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BIN, ok, snapshot, writePackage } from '../helpers/zpkg.js';

export interface Scenario {
  name: string;
  /** Image the command starts from (copied for every run). */
  template: string;
  args: string[];
  before: string;
  after: string;
  /** Wall time of an uninterrupted run, for choosing random kill instants. */
  millis: number;
  /** Steps of its apply (paths written and removed): a failure injected inside apply must fall within them. */
  steps: number;
}

export interface RunResult {
  scenario: string;
  kill: string;
  outcome: 'old' | 'new' | 'finished' | 'FAILED';
  detail?: string;
}

/** A realistic set: shared directories, config files, symlinks, a hard link, dependencies; v2 changes, drops and adds files. */
export function buildRepository(work: string): string {
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const srcs: string[] = [];
  for (const v of [1, 2]) {
    const files = (pkg: string, count: number): Record<string, string | { link: string } | { content: string; mode: number }> => {
      const out: Record<string, string | { link: string } | { content: string; mode: number }> = {};
      for (let i = 0; i < count; i++) {
        // v2 changes a third of the files, drops every tenth and adds new ones.
        if (v === 2 && i % 10 === 9) continue;
        const changed = v === 2 && i % 3 === 0;
        out[`usr/lib/${pkg}/f${i}`] = `${pkg} file ${i} ${changed ? 'v2' : 'v1'}\n`.repeat(1 + (i % 40));
      }
      if (v === 2) for (let i = 0; i < count / 5; i++) out[`usr/lib/${pkg}/new${i}`] = `${pkg} new ${i}\n`;
      out[`usr/share/common/${pkg}.txt`] = `${pkg} v${v}\n`;
      out[`usr/bin/${pkg}`] = { content: `#!/bin/sh\necho ${pkg} v${v}\n`, mode: 0o755 };
      out[`usr/bin/${pkg}-alias`] = { link: pkg };
      return out;
    };
    srcs.push(writePackage(join(work, `src/base-${v}`), { name: 'base', version: `${v}.0`, config: ['etc/base.conf'] }, { 'etc/base.conf': `setting=${v}\n`, 'etc/os-release': `VERSION=${v}\n` }));
    srcs.push(writePackage(join(work, `src/libone-${v}`), { name: 'libone', version: `${v}.0`, depends: ['base'] }, files('libone', 120)));
    srcs.push(writePackage(join(work, `src/libtwo-${v}`), { name: 'libtwo', version: `${v}.0`, depends: ['base'] }, files('libtwo', 80)));
    srcs.push(writePackage(join(work, `src/app-${v}`), { name: 'app', version: `${v}.0`, depends: ['libone', 'libtwo (>= 1.0)'] }, files('app', 150)));
    srcs.push(writePackage(join(work, `src/tools-${v}`), { name: 'tools', version: `${v}.0`, depends: ['app'] }, files('tools', 100)));
  }
  ok(['build', ...srcs, '--repo', repo]);
  return repo;
}

/**
 * A merged-/usr set (Debian 12 → 13): essential `basefiles` 1 delivers the links
 * `bin` → `usr/bin` and `lib` → `usr/lib`, which the adopted base already holds,
 * so installing it takes them over; version 2 drops them, so updating to it gives
 * them back to the base. `tool` and `tool2` deliver their files under `bin/` and
 * `lib/`, through the links. Many files each, so that apply has steps to kill in.
 */
export function buildMergedUsrRepository(work: string): string {
  const repo = join(work, 'repo-merged');
  ok(['repo', 'create', repo]);
  const many = (prefix: string, count: number, text: string): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}/f${i}`, `${text} ${i}\n`.repeat(1 + (i % 30))]));
  const srcs = [
    writePackage(join(work, 'src-merged/basefiles-1'), { name: 'basefiles', version: '1', essential: true }, { bin: { link: 'usr/bin' }, lib: { link: 'usr/lib' }, 'etc/issue': 'issue 1\n', ...many('usr/share/basefiles', 60, 'base 1') }),
    writePackage(join(work, 'src-merged/basefiles-2'), { name: 'basefiles', version: '2', essential: true }, { 'etc/issue': 'issue 2\n', ...many('usr/share/basefiles', 60, 'base 2') }),
    writePackage(join(work, 'src-merged/tool'), { name: 'tool', version: '1' }, { 'bin/tool': { content: '#!/bin/sh\necho tool\n', mode: 0o755 }, ...many('lib/x86_64-linux-gnu/tool', 100, 'tool') }),
    writePackage(join(work, 'src-merged/tool2'), { name: 'tool2', version: '1' }, { 'bin/tool2': { content: '#!/bin/sh\necho tool2\n', mode: 0o755 }, ...many('lib/tool2', 100, 'tool2') }),
  ];
  ok(['build', ...srcs, '--repo', repo]);
  return repo;
}

/**
 * `newdocs` takes 60 of `docs`'s 120 files over (`replaces: docs`); removing it
 * gives them back to docs (txn/give-back.ts): a removal that writes files.
 */
export function buildGiveBackRepository(work: string): string {
  const repo = join(work, 'repo-give-back');
  ok(['repo', 'create', repo]);
  const many = (count: number, text: string): Record<string, string> => Object.fromEntries(Array.from({ length: count }, (_, i) => [`usr/share/doc/docs/f${i}`, `${text} ${i}\n`.repeat(1 + (i % 30))]));
  ok([
    'build',
    writePackage(join(work, 'src-give-back/docs'), { name: 'docs', version: '1' }, many(120, 'docs')),
    writePackage(join(work, 'src-give-back/newdocs'), { name: 'newdocs', version: '1', replaces: ['docs'] }, many(60, 'newdocs')),
    '--repo',
    repo,
  ]);
  return repo;
}

/** An image whose /usr is merged by the links of an adopted base (`base` 1), with `remote` added and refreshed. */
export function mergedUsrImage(root: string, remote: string, trust: string[]): string {
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  symlinkSync('usr/bin', join(root, 'bin'));
  symlinkSync('usr/lib', join(root, 'lib'));
  ok(['--root', root, 'adopt', 'base', '1']);
  ok(['--root', root, 'remote', 'add', 'main', remote, ...trust]);
  ok(['--root', root, 'refresh']);
  return root;
}

/** The observable state of an image: its tree (outside zpkg's own state) and its packages and files in state.db. */
export function imageState(root: string): string {
  const tree = snapshot(root, (rel) => rel === 'var/lib/zpkg' || rel.startsWith('var/lib/zpkg/'));
  const dbPath = join(root, 'var/lib/zpkg/state.db');
  let rows: unknown[] = [];
  if (existsSync(dbPath)) {
    const db = new Database(dbPath, { readonly: true });
    rows = [db.prepare('SELECT name, version, requested FROM packages ORDER BY name').all(), db.prepare('SELECT path, package, digest, mode, uid, target FROM files ORDER BY path').all(), db.prepare('SELECT path, package FROM dirs ORDER BY path, package').all()];
    db.close();
  }
  return JSON.stringify({ tree, rows });
}

let counter = 0;

export function prepareScenario(work: string, name: string, template: string, args: string[]): Scenario {
  const probe = join(work, `probe-${name}`);
  cpSync(template, probe, { recursive: true, verbatimSymlinks: true });
  const t = performance.now();
  const files = ok(['--root', probe, '--json', ...args]).json.files as { written: number; removed: number; landedWhole?: { directories: number; paths: number } };
  const millis = performance.now() - t;
  // Apply's steps: a rename per path written outside the new directories, one per new directory landed whole, one per removal.
  const whole = files.landedWhole ?? { directories: 0, paths: 0 };
  const steps = files.written - whole.paths + whole.directories + files.removed;
  const s: Scenario = { name, template, args, before: imageState(template), after: imageState(probe), millis, steps };
  rmSync(probe, { recursive: true, force: true });
  return s;
}

/**
 * How a run is stopped: a kill at a named step (`at`), a kill after a delay
 * (`afterMs`), or a failure injected inside apply (`fail`, ZPKG_FAIL_AT: an
 * EIO where a rename is — and, with `rollback:N`, inside the undoing too).
 */
export interface Kill {
  at?: string;
  afterMs?: number;
  fail?: string;
}

function runKilled(root: string, args: string[], kill: Kill): Promise<void> {
  return new Promise((resolve) => {
    const env = { ...process.env, ...(kill.at ? { ZPKG_CRASH_AT: kill.at } : {}), ...(kill.fail ? { ZPKG_FAIL_AT: kill.fail } : {}) };
    const child = spawn(process.execPath, [BIN, '--root', root, ...args], { env, stdio: 'ignore' });
    let timer: NodeJS.Timeout | undefined;
    if (kill.afterMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), kill.afterMs);
    child.on('exit', () => {
      if (timer) clearTimeout(timer);
      resolve();
    });
  });
}

function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      if (e.name.includes('.zpkg-') && !e.name.endsWith('.zpkg-new')) out.push(abs);
      if (e.isDirectory() && !e.isSymbolicLink()) walk(abs);
    }
  };
  walk(root);
  for (const dir of ['var/lib/zpkg/journal', 'var/lib/zpkg/cache/tmp']) {
    const abs = join(root, dir);
    if (existsSync(abs)) out.push(...readdirSync(abs).map((n) => join(abs, n)));
  }
  return out;
}

/** One run: copy the template, start the command, kill it, recover, compare. */
export async function crashRun(work: string, s: Scenario, kill: Kill): Promise<RunResult> {
  const root = join(work, `run-${counter++}`);
  mkdirSync(root, { recursive: true });
  rmSync(root, { recursive: true, force: true });
  cpSync(s.template, root, { recursive: true, verbatimSymlinks: true });
  const label = kill.fail ? `failing at ${kill.fail}` : kill.at ? `at ${kill.at}` : `after ${kill.afterMs!.toFixed(0)} ms`;
  try {
    await runKilled(root, s.args, kill);
    const rec = spawnSync(process.execPath, [BIN, '--root', root, 'recover'], { encoding: 'utf8' });
    if (rec.status !== 0) return { scenario: s.name, kill: label, outcome: 'FAILED', detail: `recover exited ${rec.status}: ${rec.stderr}` };
    const state = imageState(root);
    const left = leftovers(root);
    if (left.length) return { scenario: s.name, kill: label, outcome: 'FAILED', detail: `leftovers: ${left.slice(0, 5).join(', ')}` };
    const verify = spawnSync(process.execPath, [BIN, '--root', root, 'verify'], { encoding: 'utf8' });
    if (verify.status !== 0) return { scenario: s.name, kill: label, outcome: 'FAILED', detail: `verify: ${verify.stdout.split('\n').slice(0, 5).join(' | ')}` };
    if (state === s.before) return { scenario: s.name, kill: label, outcome: 'old' };
    // A failure before the commit is undone: it never ends in the new state.
    if (kill.fail) return { scenario: s.name, kill: label, outcome: 'FAILED', detail: 'a failure inside apply did not end in the old state' };
    if (state === s.after) return { scenario: s.name, kill: label, outcome: 'new' };
    return { scenario: s.name, kill: label, outcome: 'FAILED', detail: 'the image is neither the old nor the new state' };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Failures injected inside apply: early, midway and late (the deletions of an
 * update or removal come after its puts), alone or with the undoing failing
 * too at its first and a later step, which `recover` then finishes. "Late" is
 * step 300 or, in a shorter apply (an upgrade writes only what changed), 90 %
 * of its steps: a failure point past the last step would never fire.
 */
export function failures(s: Scenario): Kill[] {
  const late = Math.max(2, Math.min(300, Math.floor(s.steps * 0.9)));
  const mid = Math.min(50, Math.floor(late / 2));
  return [`apply:1`, `apply:${mid}`, `apply:${late}`, `apply:1,rollback:1`, `apply:${mid},rollback:${Math.max(1, Math.floor(mid / 2))}`, `apply:${late},rollback:${Math.floor(late / 2)}`].map((fail) => ({ fail }));
}

/** Kill points: every step boundary, several instants inside stage and apply, failures inside apply, then random delays. */
export function killPlan(s: Scenario, runs: number, random: () => number): Kill[] {
  const late = Math.max(2, Math.min(300, Math.floor(s.steps * 0.9)));
  const named: Kill[] = [...['journal', 'stage:1', 'stage:200', 'staged', 'apply:1', 'apply:50', `apply:${late}`, 'applied', 'synced', 'committed', 'cleaned'].map((at) => ({ at })), ...failures(s)];
  const plan: Kill[] = [...named];
  while (plan.length < runs) plan.push({ afterMs: random() * s.millis * 1.1 });
  return plan.slice(0, Math.max(runs, named.length));
}
