/**
 * zpkg updating itself. The package `zpkg` (the bundle, see packaging/) lands
 * like any package — its files by rename, so this process keeps the files it
 * has open and all its code, read at start-up from one file — with two steps
 * more, the way zos's own upgrader restarts itself:
 *
 * 1. **Self-test, before the commit.** Once the new files are in place (after
 *    apply) and before state.db records them, the new version must run:
 *    `ROOT/usr/bin/zpkg --version` prints the version being installed, and
 *    `ROOT/usr/bin/zpkg --root ROOT self-test` opens state.db read-only. A
 *    failure undoes the transaction exactly as any failure before the commit
 *    does (the journal puts every path back), and the error (E_SELF_TEST)
 *    says what failed; the old version stays, and so does everything else
 *    the transaction would have changed. An interruption during the test is
 *    an interruption before the commit: recovery undoes it.
 * 2. **Re-exec, after the commit.** When this process is the image's own zpkg
 *    (its bundle is `ROOT/usr/lib/zpkg`), the steps after the commit —
 *    post-hooks and service starts, already saved as the transaction's pending
 *    lifecycle — are left to the new version: once the image lock is released,
 *    `ROOT/usr/bin/zpkg --root ROOT --json recover` runs them and this process
 *    reports what it did. If the new version cannot, they stay pending and
 *    the next zpkg finishes them (every changing command resumes them first).
 */
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import type { LifecycleResult } from '../hooks/lifecycle.js';
import type { Report } from '../report/report.js';
import type { Prepared } from './prepare.js';
import { SELF_PACKAGE } from './protect.js';

/** Where the package `zpkg` puts its launcher and its bundle, relative to the image root. */
export const LAUNCHER = 'usr/bin/zpkg';
export const BUNDLE_DIR = 'usr/lib/zpkg';
/** Bounds a hung self-test; a healthy one takes well under a second. */
const SELF_TEST_TIMEOUT_MS = 120_000;

export interface SelfUpdate {
  from: string | null;
  to: string;
  /** The new version's launcher, as this process reaches it. */
  launcher: string;
  /** This process runs from the image's own bundle: the new version finishes the transaction. */
  handOff: boolean;
}

/** What a transaction result says about a self-update. */
export interface SelfUpdateResult {
  from: string | null;
  to: string;
  /** The new version passed its self-test. */
  tested: true;
  /** The new version's launcher. */
  launcher: string;
  /** The post-commit steps ran in the new version (`finished`), are left pending (`pending`), or ran here (`here`: this process is not the image's zpkg). */
  post: 'finished' | 'pending' | 'here';
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The self-update a prepared change makes, if it lands the package `zpkg` with a launcher. */
export function selfUpdateOf(root: string, prepared: Prepared): SelfUpdate | undefined {
  const pkg = prepared.packages.find((p) => p.name === SELF_PACKAGE && p.repair === undefined);
  if (!pkg) return undefined;
  const delivers = pkg.manifest.actions.some((a) => 'path' in a && a.path.replace(/^\/+/, '') === LAUNCHER);
  // A zpkg that had a launcher must keep one: the new version is tested either way.
  if (!delivers && !(pkg.from && existsSync(join(root, LAUNCHER)))) return undefined;
  const running = process.env.ZPKG_BUNDLE;
  const own = real(join(root, BUNDLE_DIR));
  return {
    from: pkg.from?.version ?? null,
    to: pkg.version,
    launcher: join(root, LAUNCHER),
    handOff: Boolean(running && own && real(running) === own),
  };
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(file: string, args: string[], timeoutMs: number, stderr: 'pipe' | 'inherit' = 'pipe'): Promise<Run> {
  return new Promise((resolve) => {
    // The new version sets its own ZPKG_BUNDLE; nothing of this one's may leak into it.
    const env = { ...process.env };
    delete env.ZPKG_BUNDLE;
    const child = spawn(file, args, { cwd: '/', env, stdio: ['ignore', 'pipe', stderr], timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', (error) => resolve({ status: null, signal: null, stdout: out, stderr: err, error }));
    child.on('close', (status, signal) => resolve({ status, signal, stdout: out, stderr: err }));
  });
}

function failure(r: Run): string {
  if (r.error) return `cannot run: ${r.error.message}`;
  const how = r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  // The error line itself (Node's `Error: …`, zpkg's `error: …`), else the last line said.
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const said = lines.find((l) => /^(\w*Error|error):/.test(l)) ?? lines.at(-1);
  return said ? `${how}: ${said.slice(0, 300)}` : how;
}

/** The new version's self-test; E_SELF_TEST naming what failed. */
export async function selfTest(update: SelfUpdate, root: string, report: Report): Promise<void> {
  const refuse = (what: string, detail: string): never => {
    throw new ZpkgError('E_SELF_TEST', `zpkg ${update.to} failed its self-test (\`${what}\`: ${detail}): the transaction was undone${update.from ? `, zpkg ${update.from} stays` : ''}`, {
      hint: 'the package `zpkg` of that version is broken: keep the current one (hold it with `zpkg hold zpkg`) and report it to whoever publishes it',
      details: { from: update.from, to: update.to, command: what },
    });
  };
  report.info(`testing zpkg ${update.to} before committing it`);
  const version = await run(update.launcher, ['--version'], SELF_TEST_TIMEOUT_MS);
  if (version.status !== 0) refuse(`${LAUNCHER} --version`, failure(version));
  const said = version.stdout.trim();
  if (said !== update.to) refuse(`${LAUNCHER} --version`, `it says \`${said.slice(0, 80)}\`, not \`${update.to}\``);
  const state = await run(update.launcher, ['--root', root, '--json', 'self-test'], SELF_TEST_TIMEOUT_MS);
  if (state.status !== 0) {
    let detail = failure(state);
    try {
      const e = (JSON.parse(state.stdout) as { error?: { code: string; message: string } }).error;
      if (e) detail = `${e.code}: ${e.message}`;
    } catch {
      // not JSON: the exit status and stderr say it
    }
    refuse(`${LAUNCHER} self-test`, detail);
  }
}

interface RecoverJson {
  lifecycles?: { txid: string; outcome: string; lifecycle: LifecycleResult }[];
}

/**
 * After the commit and with the image lock released: the new version runs
 * the pending post-commit steps (`recover`). Returns their lifecycle result,
 * or undefined when the new version could not (they stay pending; a warning
 * says so).
 */
async function finishInNewVersion(update: SelfUpdateResult, root: string, report: Report): Promise<LifecycleResult[] | undefined> {
  report.info(`zpkg ${update.to} finishes the transaction (post-hooks and service starts)`);
  const r = await run(update.launcher, ['--root', root, '--json', 'recover'], 24 * 3600_000, 'inherit');
  let parsed: RecoverJson | undefined;
  try {
    parsed = JSON.parse(r.stdout) as RecoverJson;
  } catch {
    parsed = undefined;
  }
  if ((r.status !== 0 && r.status !== 1) || !parsed || !Array.isArray(parsed.lifecycles)) {
    report.warn(`zpkg ${update.to} could not finish the transaction (${failure(r)}): its post-hooks and service starts stay pending; run \`zpkg recover\``);
    return undefined;
  }
  return parsed.lifecycles.map((l) => l.lifecycle);
}

/** Adds what the new version did after the commit to what this one did before it. */
function merged(before: LifecycleResult | undefined, after: LifecycleResult[]): LifecycleResult | undefined {
  if (!before) return after[0];
  const seen = new Set(before.hooks.map((h) => `${h.package} ${h.phase}`));
  return {
    ...before,
    hooks: [...before.hooks, ...after.flatMap((l) => l.hooks).filter((h) => !seen.has(`${h.package} ${h.phase}`))],
    services: [...before.services, ...after.flatMap((l) => l.services)],
    errors: before.errors + after.reduce((n, l) => n + l.errors, 0),
  };
}

/** A committed self-update whose post-commit steps were left to the new version: runs them there and records the outcome in `result`. */
export async function finishSelfUpdate(result: { selfUpdate?: SelfUpdateResult; lifecycle?: LifecycleResult }, root: string, report: Report): Promise<void> {
  const update = result.selfUpdate;
  if (update?.post !== 'pending') return;
  const after = await finishInNewVersion(update, root, report);
  if (!after) return;
  result.lifecycle = merged(result.lifecycle, after);
  update.post = 'finished';
}
