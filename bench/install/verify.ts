/**
 * Phase 3 of `install`: is what each tool installed right?
 * Every installed tree is compared with the generator's description (type, mode,
 * owner, size, sha256, link target); `dpkg --verify`, `zpkg verify` and
 * `sha256sum -c` (of zpkg's tree, against the generator's digests) are timed
 * over the last install, each with the page cache dropped and then warm (the
 * warm run right after the cold one, which left the tree cached); and zpkg
 * must refuse an altered blob (tamper.ts).
 */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { lstatSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeExit, dropCaches, run, tailLines, timed, type RunResult } from '../proc.js';
import { fmtSeconds } from '../table.js';
import type { TreeSpec } from '../tree.js';
import { tamperTest } from './tamper.js';
import { PKG, WARM_PROGRAMS, type Bench, type Command, type Measure, type Measured, type Prepared, type TamperResult, type TreeCheck, type Verified, type VerifyResult } from './types.js';

interface VerifyCommand {
  name: string;
  measure: Measure;
  command(target: string): Command;
  /** The directory it runs in (sha256sum reads paths relative to the target). */
  inTarget?: boolean;
  /** Whether the tree is clean, and how to say it. */
  judge(r: RunResult): [boolean, string];
}

export async function verifyInstalls(b: Bench, p: Prepared, m: Measured): Promise<Verified> {
  const { ctx } = b;
  const active = p.measures.filter((x) => !x.failed);

  for (const x of active) {
    ctx.log(`checking the tree installed by ${x.label}`);
    x.treeCheck = checkTree(m.targetOf(x, ctx.reps - 1), p.spec);
    if (x.treeCheck.mismatches) b.problems.push(`${x.label}: installed tree differs from the source in ${x.treeCheck.mismatches} entries, e.g. ${x.treeCheck.examples.join('; ')}`);
  }

  const byId = (id: string): Measure => p.measures.find((x) => x.id === id)!;
  const zpkgJudge = (r: RunResult): [boolean, string] => [r.code === 0, r.code === 0 ? 'clean (sha256)' : `${describeExit(r)}: ${tailLines(r.stdout + r.stderr, 3)}`];
  const commands: VerifyCommand[] = [
    {
      name: 'dpkg --verify',
      measure: byId('dpkg'),
      command: (t) => ['dpkg', [`--root=${t}`, '--verify', PKG]],
      judge: (r) => [r.code === 0 && r.stdout.trim() === '', r.stdout.trim() ? `${r.stdout.trim().split('\n').length} differences` : 'clean (md5)'],
    },
    {
      name: 'zpkg verify',
      measure: byId('zpkg'),
      command: (t) => b.zpkg('--root', t, 'verify', PKG),
      judge: zpkgJudge,
    },
    ...(b.bundled && p.measures.some((x) => x.id === 'zpkg-bundle')
      ? [
          {
            name: 'zpkg verify (bundle)',
            measure: byId('zpkg-bundle'),
            command: (t: string) => b.bundled!('--root', t, 'verify', PKG),
            judge: zpkgJudge,
          },
        ]
      : []),
    {
      // The anchor: the same files zpkg verify reads, hashed by one sha256sum process.
      name: 'sha256sum -c',
      measure: byId('zpkg'),
      command: () => ['sha256sum', ['-c', '--quiet', '--strict', p.sums]],
      inTarget: true,
      judge: (r) => [r.code === 0, r.code === 0 ? 'clean (sha256, file contents only)' : `${describeExit(r)}: ${tailLines(r.stdout + r.stderr, 3)}`],
    },
  ];
  const verify: Record<string, VerifyResult> = {};
  const names: { name: string; measure: Measure }[] = [];
  for (const cache of ['cold', 'warm'] as const) {
    for (const c of commands) {
      const name = verifyName(c.name, cache);
      names.push({ name, measure: c.measure });
      if (!c.measure.failed) verify[name] = { seconds: [], user: [], sys: [], load: [], ok: true, detail: '', rssKiB: null };
    }
  }
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const c of commands) {
      // Cold, then warm right after: the cold run leaves the tree in the page cache.
      for (const cache of ['cold', 'warm'] as const) {
        const name = verifyName(c.name, cache);
        const v = verify[name];
        if (!v) continue;
        if (cache === 'cold') dropCaches();
        if (WARM_PROGRAMS) await run(...(c.inTarget ? (['sha256sum', ['--version']] as Command) : c.measure.warm));
        const target = m.targetOf(c.measure, ctx.reps - 1);
        v.load.push(os.loadavg()[0]!);
        const r = await timed(...c.command(target), c.inTarget ? { cwd: target } : {});
        const [ok, detail] = c.judge(r);
        v.seconds.push(r.seconds);
        if (r.userSeconds != null && r.systemSeconds != null) {
          v.user.push(r.userSeconds);
          v.sys.push(r.systemSeconds);
        }
        v.rssKiB = Math.max(v.rssKiB ?? 0, r.maxRssKiB ?? 0) || null;
        v.ok &&= ok;
        v.detail = detail;
        if (!ok && rep === 0) b.problems.push(`${name} on a fresh install: ${detail} (${b.shown(r.command)})`);
        ctx.log(`verify ${rep + 1}/${ctx.reps} ${name}: ${fmtSeconds(r.seconds)} s, ${detail}`);
      }
    }
  }

  let tamper: TamperResult = { refused: null, wroteFiles: null, detail: 'not run', message: '' };
  if (!byId('zpkg').failed) {
    ctx.log('tamper test: one blob altered in a copy of the repository');
    tamper = await tamperTest(b, p);
    if (tamper.refused === false || (tamper.wroteFiles ?? 0) > 0) b.problems.push(`tamper test: ${tamper.detail}`);
  }

  if (!ctx.keep) rmSync(m.targetsDir, { recursive: true, force: true });
  return { names, verify, tamper };
}

/** A verify row's name: the command, with ` (warm)` for its warm runs (the cold names are those of earlier versions of the suite). */
export function verifyName(command: string, cache: 'cold' | 'warm'): string {
  return cache === 'warm' ? `${command} (warm)` : command;
}

/** Compares an installed tree with the generator's description. */
function checkTree(root: string, spec: TreeSpec): TreeCheck {
  const examples: string[] = [];
  let mismatches = 0;
  let checked = 0;
  const bad = (path: string, why: string): void => {
    mismatches++;
    if (examples.length < 5) examples.push(`${path}: ${why}`);
  };
  const look = (path: string) => {
    try {
      return lstatSync(join(root, path));
    } catch {
      return null;
    }
  };
  for (const d of spec.dirs) {
    checked++;
    const st = look(d);
    if (!st?.isDirectory()) bad(d, 'not a directory');
    else if ((st.mode & 0o7777) !== 0o755) bad(d, `mode ${(st.mode & 0o7777).toString(8)}`);
  }
  for (const f of spec.files) {
    checked++;
    const st = look(f.path);
    if (!st?.isFile()) bad(f.path, 'not a regular file');
    else if ((st.mode & 0o7777) !== f.mode) bad(f.path, `mode ${(st.mode & 0o7777).toString(8)} ≠ ${f.mode.toString(8)}`);
    else if (st.uid !== spec.uid || st.gid !== spec.gid) bad(f.path, `owner ${st.uid}:${st.gid}`);
    else if (st.size !== f.size) bad(f.path, `size ${st.size} ≠ ${f.size}`);
    else if (createHash('sha256').update(readFileSync(join(root, f.path))).digest('hex') !== f.sha256) bad(f.path, 'sha256 differs');
  }
  for (const l of spec.links) {
    checked++;
    const st = look(l.path);
    if (!st?.isSymbolicLink()) bad(l.path, 'not a symlink');
    else if (readlinkSync(join(root, l.path)) !== l.target) bad(l.path, `target ${readlinkSync(join(root, l.path))} ≠ ${l.target}`);
  }
  return { checked, mismatches, examples };
}
