/**
 * Suite `install`: the same generated tree installed by dpkg, by zpkg and by `tar -x`,
 * side by side in one run (issue 2's benchmark).
 *
 * Method
 * - The tree (bench/tree.ts) is packaged as a .deb (`dpkg-deb -Zzstd --build`), as a
 *   zpkg package (`zpkg build` into a directory repository) and as an uncompressed tar.
 * - Each measurement installs into a fresh, empty target. Before it: `sync`, drop the
 *   page cache (when permitted), then warm the tool's own program (`--version`/`--help`)
 *   so the run reads its *input* cold but does not pay for paging in its executable.
 *   After it, a timed `sync` shows how much writeback the run left behind.
 * - Every measurement is repeated `reps` times, interleaved across tools; the median
 *   is reported. Wall time is our clock around the spawn; peak RSS and CPU come from
 *   `/usr/bin/time` (peak RSS is the largest process of the child's tree, not a sum).
 * - Durability is not guessed: one extra, untimed run of each tool under
 *   `strace -f -c` counts fsync / fdatasync / syncfs / sync calls.
 * - Every installed tree is compared with the generator's description (type, mode,
 *   owner, size, sha256, link target). zpkg's own digest checking is exercised by
 *   installing from a copy of the repository with one blob altered: it must refuse.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import { join, relative } from 'node:path';
import { FULL_SHAPE, QUICK_SHAPE, generateTree, type TreeSpec } from './tree.js';
import {
  dropCaches,
  describeExit,
  haveGnuTime,
  machineBusySeconds,
  median,
  mustRun,
  run,
  syncNow,
  tailLines,
  timed,
  which,
  type RunResult,
  type TimedResult,
} from './proc.js';
import { fmtInt, fmtMB, fmtRatio, fmtSeconds, formatTable, round } from './table.js';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';

/** The zpkg install flag that skips fsync; used only if `zpkg install --help` mentions it. */
export const ZPKG_UNSAFE_IO_FLAG = '--unsafe-io';
/** Page in each tool's program after dropping the cache, so only the input is read cold. */
const WARM_PROGRAMS = true;
const PKG = 'benchtree';
const REMOTE = 'bench';

/** Issue 2's goals. */
const GOAL_VS_DPKG = 0.5; // zpkg at least 2× faster than dpkg
const GOAL_VS_TAR = 1.2; // zpkg within 1.2× of tar

interface SyncCounts {
  fsync: number;
  fdatasync: number;
  syncfs: number;
  sync: number;
  sync_file_range: number;
}

interface RunSample {
  seconds: number;
  syncAfter: number;
  maxRssKiB: number | null;
  userSeconds: number | null;
  systemSeconds: number | null;
  /** Share of the machine's CPU capacity used by anything but the measured command during its run. */
  othersCpuShare: number | null;
}

interface Measure {
  id: string;
  label: string;
  /** What the tool is documented or asked to do; replaced by the strace count when available. */
  claimed: string;
  available: boolean;
  why?: string;
  prepare(target: string): Promise<void>;
  command(target: string): [string, string[]];
  warm: [string, string[]];
  samples: RunSample[];
  failed?: string;
  syncCounts?: SyncCounts;
  treeCheck?: TreeCheck;
}

interface TreeCheck {
  checked: number;
  mismatches: number;
  examples: string[];
}

interface TamperResult {
  refused: boolean | null;
  wroteFiles: number | null;
  detail: string;
  /** zpkg's full error output. */
  message: string;
}

interface ZpkgStatus {
  available: boolean;
  reason: string;
  unsafeIo: boolean;
}

export const installSuite: BenchSuite = {
  name: 'install',
  description: 'install one ~20,000-file tree with dpkg, zpkg and tar -x; median of N fresh runs',
  run: runInstall,
};

async function runInstall(ctx: BenchContext): Promise<SuiteResult> {
  const problems: string[] = [];
  const w = ctx.workDir;
  const node = process.execPath;
  const zpkgBin = join(ctx.repoRoot, 'bin', 'zpkg.js');
  const zpkg = (...args: string[]): [string, string[]] => [node, [zpkgBin, ...args]];
  const shown = (cmd: string): string => cmd.replaceAll(`${node} ${zpkgBin}`, 'node bin/zpkg.js').replaceAll(`${w}/`, '.bench/install/');

  for (const tool of ['dpkg', 'dpkg-deb', 'tar']) if (!which(tool)) throw new Error(`${tool} is not installed (apt-get install dpkg tar)`);
  if (!haveGnuTime) ctx.log('/usr/bin/time is missing (apt-get install -y time): peak RSS and CPU will read n/a');
  const strace = which('strace');
  const dpkgCfgUnsafe = dpkgConfigForcesUnsafeIo();
  if (dpkgCfgUnsafe) ctx.log(`${dpkgCfgUnsafe} sets force-unsafe-io; the dpkg default row passes --no-force-unsafe-io to get dpkg's own default (fsync)`);
  if (!strace) ctx.log('strace is missing (apt-get install -y strace): durability column shows what each tool claims, not counted calls');

  // 1. The tree.
  const src = join(w, 'src');
  const tree = join(src, 'tree');
  const shape = ctx.quick ? QUICK_SHAPE : FULL_SHAPE;
  ctx.log(`generating the tree (${fmtInt(shape.files)} files, ~${fmtMB(shape.bytes)} MB) in ${tree}`);
  const t0 = Date.now();
  const spec = generateTree(tree, { shape });
  const genSeconds = (Date.now() - t0) / 1000;
  ctx.log(
    `  ${fmtInt(spec.files.length)} files, ${fmtInt(spec.dirs.length)} dirs, ${spec.links.length} symlinks, ${fmtMB(spec.totalBytes)} MB in ${fmtSeconds(genSeconds)} s`,
  );
  const mbps = (s: number): number => spec.totalBytes / 1e6 / s;

  // 2. The .deb.
  ctx.log('building the .deb (dpkg-deb -Zzstd --build)');
  const debRoot = join(w, 'deb', PKG);
  mkdirSync(join(w, 'deb'), { recursive: true });
  await mustRun('cp', ['-al', tree, debRoot]);
  mkdirSync(join(debRoot, 'DEBIAN'), { mode: 0o755 });
  writeFileSync(
    join(debRoot, 'DEBIAN', 'control'),
    [
      `Package: ${PKG}`,
      'Version: 1.0',
      'Architecture: all',
      'Maintainer: zpkg bench <bench@zpkg.invalid>',
      `Installed-Size: ${Math.ceil(spec.totalBytes / 1024)}`,
      'Description: generated tree for the zpkg install benchmark',
      ` ${fmtInt(spec.files.length)} files, ${fmtMB(spec.totalBytes)} MB, deterministic (seed ${spec.seed}).`,
      '',
    ].join('\n'),
  );
  const deb = join(w, `${PKG}.deb`);
  syncNow();
  const debBuild = await timed('dpkg-deb', ['-Zzstd', '--build', debRoot, deb]);
  if (debBuild.code !== 0) throw new Error(`dpkg-deb failed: ${debBuild.stderr}`);
  const debBytes = statSync(deb).size;

  // 3. The tar.
  const tarball = join(w, 'tree.tar');
  syncNow();
  const tarBuild = await timed('tar', ['-cf', tarball, '-C', tree, '.']);
  if (tarBuild.code !== 0) throw new Error(`tar -cf failed: ${tarBuild.stderr}`);
  const tarBytes = statSync(tarball).size;

  // 4. The zpkg package, if the CLI exists yet.
  const repo = join(w, 'repo');
  const zs = await zpkgStatus(node, zpkgBin);
  let zpkgBuild: TimedResult | undefined;
  let repoBytes: number | null = null;
  let zpkgReady = zs.available;
  if (!zs.available) {
    ctx.log(`zpkg is not available yet: ${zs.reason}`);
  } else {
    ctx.log('building the zpkg package (zpkg repo create, zpkg build)');
    writeFileSync(
      join(src, 'zpkg.yaml'),
      [
        `name: ${PKG}`,
        'version: "1.0"',
        'summary: generated tree for the zpkg install benchmark',
        'description: |',
        `  ${fmtInt(spec.files.length)} files, ${fmtMB(spec.totalBytes)} MB, deterministic (seed ${spec.seed}).`,
        '  Built by npm run bench to compare zpkg with dpkg and tar.',
        'license: MIT',
        'arch: all',
        'root: tree',
        '',
      ].join('\n'),
    );
    const create = await run(...zpkg('repo', 'create', repo));
    if (create.code !== 0) {
      problems.push(failure(create, shown));
      zpkgReady = false;
    } else {
      syncNow();
      zpkgBuild = await timed(...zpkg('build', src, '--repo', repo));
      if (zpkgBuild.code !== 0) {
        problems.push(failure(zpkgBuild, shown));
        zpkgReady = false;
      } else {
        repoBytes = duBytes(repo);
      }
    }
  }

  const firstLine = async (cmd: string, args: string[]): Promise<string | null> => {
    const r = await run(cmd, args).catch(() => null);
    return r && r.code === 0 ? (r.stdout.trim().split('\n')[0] ?? null) : null;
  };
  const versions = {
    dpkg: await firstLine('dpkg', ['--version']),
    tar: await firstLine('tar', ['--version']),
    node: process.version,
    zpkg: zs.available ? await firstLine(...zpkg('--version')) : null,
    kernel: os.release(),
  };

  // 5. The measurements.
  const zpkgPrepare = async (target: string, repoDir = repo): Promise<void> => {
    mkdirSync(target, { recursive: true });
    for (const args of [['--root', target, 'remote', 'add', REMOTE, repoDir, '--insecure'], ['--root', target, 'refresh']]) {
      const r = await run(...zpkg(...args));
      if (r.code !== 0) throw new Error(failure(r, shown));
    }
  };
  const dpkgPrepare = async (target: string): Promise<void> => {
    mkdirSync(join(target, 'var/lib/dpkg/updates'), { recursive: true });
    mkdirSync(join(target, 'var/lib/dpkg/info'), { recursive: true });
    writeFileSync(join(target, 'var/lib/dpkg/status'), '');
  };
  const dpkgInstall = (target: string, extra: string[]): [string, string[]] => [
    'dpkg',
    [`--root=${target}`, '--force-script-chrootless', ...extra, '--log=/dev/null', '-i', deb],
  ];
  const notZpkg = zs.available ? 'zpkg build failed (see problems)' : `zpkg is not available yet (${zs.reason})`;
  const measures: Measure[] = [
    {
      id: 'dpkg',
      label: 'dpkg -i',
      claimed: 'fsync per file (dpkg default)',
      available: true,
      prepare: dpkgPrepare,
      // Explicit, because container images often set force-unsafe-io in /etc/dpkg/dpkg.cfg.d/.
      command: (t) => dpkgInstall(t, ['--no-force-unsafe-io']),
      warm: ['dpkg-deb', ['--version']],
      samples: [],
    },
    {
      id: 'dpkg-unsafe',
      label: 'dpkg -i --force-unsafe-io',
      claimed: 'none (--force-unsafe-io)',
      available: true,
      prepare: dpkgPrepare,
      command: (t) => dpkgInstall(t, ['--force-unsafe-io']),
      warm: ['dpkg-deb', ['--version']],
      samples: [],
    },
    {
      id: 'zpkg',
      label: 'zpkg install',
      claimed: 'zpkg default (not traced)',
      available: zpkgReady,
      why: notZpkg,
      prepare: (t) => zpkgPrepare(t),
      command: (t) => zpkg('--root', t, 'install', PKG),
      warm: zpkg('--help'),
      samples: [],
    },
    {
      id: 'zpkg-unsafe',
      label: `zpkg install ${ZPKG_UNSAFE_IO_FLAG}`,
      claimed: `none (${ZPKG_UNSAFE_IO_FLAG})`,
      available: zpkgReady && zs.unsafeIo,
      why: zpkgReady ? `\`zpkg install --help\` does not list ${ZPKG_UNSAFE_IO_FLAG} yet` : notZpkg,
      prepare: (t) => zpkgPrepare(t),
      command: (t) => zpkg('--root', t, 'install', ZPKG_UNSAFE_IO_FLAG, PKG),
      warm: zpkg('--help'),
      samples: [],
    },
    {
      id: 'tar',
      label: 'tar -x (uncompressed)',
      claimed: 'none (tar never syncs)',
      available: true,
      prepare: async (t) => void mkdirSync(t, { recursive: true }),
      command: (t) => ['tar', ['-xf', tarball, '-C', t]],
      warm: ['tar', ['--version']],
      samples: [],
    },
  ];
  const targetsDir = join(w, 't');
  const targetOf = (m: Measure, rep: number | string): string => join(targetsDir, `${m.id}-${rep}`);
  const active = (): Measure[] => measures.filter((m) => m.available && !m.failed);

  // 5a. Durability, counted: one untimed run of each under strace.
  if (strace) {
    for (const m of active()) {
      ctx.log(`counting sync calls: ${m.label} under strace -f -c`);
      const target = targetOf(m, 'strace');
      try {
        await m.prepare(target);
        m.syncCounts = await countSyncCalls(m.command(target));
      } catch (e) {
        m.failed = (e as Error).message;
        problems.push(`${m.label}: ${m.failed}`);
      }
      rmSync(target, { recursive: true, force: true });
    }
  }

  // 5b. Timed runs, interleaved.
  const loadBefore = loadAverage();
  let cacheDropped = true;
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const m of active()) {
      const target = targetOf(m, rep);
      try {
        await m.prepare(target);
      } catch (e) {
        m.failed = (e as Error).message;
        problems.push(`${m.label}: ${m.failed}`);
        continue;
      }
      cacheDropped = dropCaches() && cacheDropped;
      if (WARM_PROGRAMS) await run(...m.warm);
      syncNow();
      const busy0 = machineBusySeconds();
      const r = await timed(...m.command(target));
      const busy1 = machineBusySeconds();
      const syncAfter = syncNow();
      if (r.code !== 0) {
        m.failed = failure(r, shown);
        problems.push(m.failed);
        continue;
      }
      m.samples.push({
        seconds: r.seconds,
        syncAfter,
        maxRssKiB: r.maxRssKiB,
        userSeconds: r.userSeconds,
        systemSeconds: r.systemSeconds,
        othersCpuShare:
          busy0 == null || busy1 == null || r.userSeconds == null || r.systemSeconds == null
            ? null
            : Math.max(0, busy1 - busy0 - r.userSeconds - r.systemSeconds) / (r.seconds * os.cpus().length),
      });
      ctx.log(`run ${rep + 1}/${ctx.reps} ${m.label}: ${fmtSeconds(r.seconds)} s (then sync ${fmtSeconds(syncAfter)} s)`);
      if (rep < ctx.reps - 1) rmSync(target, { recursive: true, force: true });
    }
  }
  const loadAfter = loadAverage();
  if (!cacheDropped) ctx.log('could not drop the page cache (not root?): runs may read warm input');

  // 5c. Is every installed tree the generated one?
  for (const m of active()) {
    ctx.log(`checking the tree installed by ${m.label}`);
    m.treeCheck = checkTree(targetOf(m, ctx.reps - 1), spec);
    if (m.treeCheck.mismatches) problems.push(`${m.label}: installed tree differs from the source in ${m.treeCheck.mismatches} entries, e.g. ${m.treeCheck.examples.join('; ')}`);
  }

  // 6. Verify.
  const dpkgM = measures[0]!;
  const zpkgM = measures[2]!;
  const verify: Record<string, { seconds: number[]; ok: boolean; detail: string; rssKiB: number | null }> = {};
  const verifies: [string, Measure, (t: string) => [string, string[]], (r: RunResult) => [boolean, string]][] = [
    [
      'dpkg --verify',
      dpkgM,
      (t) => ['dpkg', [`--root=${t}`, '--verify', PKG]],
      (r) => [r.code === 0 && r.stdout.trim() === '', r.stdout.trim() ? `${r.stdout.trim().split('\n').length} differences` : 'clean (md5)'],
    ],
    [
      'zpkg verify',
      zpkgM,
      (t) => zpkg('--root', t, 'verify', PKG),
      (r) => [r.code === 0, r.code === 0 ? 'clean (sha256)' : `${describeExit(r)}: ${tailLines(r.stdout + r.stderr, 3)}`],
    ],
  ];
  for (const [name, m] of verifies) if (m.available && !m.failed) verify[name] = { seconds: [], ok: true, detail: '', rssKiB: null };
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const [name, m, cmd, judge] of verifies) {
      const v = verify[name];
      if (!v) continue;
      dropCaches();
      if (WARM_PROGRAMS) await run(...m.warm);
      const r = await timed(...cmd(targetOf(m, ctx.reps - 1)));
      const [ok, detail] = judge(r);
      v.seconds.push(r.seconds);
      v.rssKiB = Math.max(v.rssKiB ?? 0, r.maxRssKiB ?? 0) || null;
      v.ok &&= ok;
      v.detail = detail;
      if (!ok && rep === 0) problems.push(`${name} on a fresh install: ${detail} (${shown(r.command)})`);
      ctx.log(`verify ${rep + 1}/${ctx.reps} ${name}: ${fmtSeconds(r.seconds)} s, ${detail}`);
    }
  }

  // 7. Does zpkg check digests? Install from a repository with one blob altered.
  let tamper: TamperResult = { refused: null, wroteFiles: null, detail: 'not run', message: '' };
  if (zpkgM.available && !zpkgM.failed) {
    ctx.log('tamper test: one blob altered in a copy of the repository');
    tamper = await tamperTest(w, repo, tree, spec, zpkg, zpkgPrepare, shown);
    if (tamper.refused === false || (tamper.wroteFiles ?? 0) > 0) problems.push(`tamper test: ${tamper.detail}`);
  }

  if (!ctx.keep) rmSync(targetsDir, { recursive: true, force: true });

  // 8. Report.
  const stat = (m: Measure) => {
    const secs = m.samples.map((s) => s.seconds);
    const med = median(secs);
    return {
      median: med,
      syncAfter: median(m.samples.map((s) => s.syncAfter)),
      rssKiB: m.samples.some((s) => s.maxRssKiB != null) ? Math.max(...m.samples.map((s) => s.maxRssKiB ?? 0)) : null,
      user: m.samples.some((s) => s.userSeconds != null) ? median(m.samples.map((s) => s.userSeconds ?? 0)) : null,
      sys: m.samples.some((s) => s.systemSeconds != null) ? median(m.samples.map((s) => s.systemSeconds ?? 0)) : null,
      others: m.samples.some((s) => s.othersCpuShare != null) ? median(m.samples.map((s) => s.othersCpuShare ?? 0)) : null,
    };
  };
  const ok = (m: Measure): boolean => m.available && !m.failed && m.samples.length === ctx.reps;
  const durability = (m: Measure): string => (m.syncCounts ? describeDurability(m.syncCounts, spec.files.length) : m.claimed);

  const out: string[] = [];
  out.push('');
  out.push(
    `install benchmark — ${fmtInt(spec.files.length)} files, ${fmtInt(spec.dirs.length)} dirs, ${spec.links.length} symlinks, ${fmtMB(spec.totalBytes)} MB; ` +
      `median of ${ctx.reps} runs into a fresh target; page cache ${cacheDropped ? 'dropped' : 'NOT dropped'} before each run` +
      `${WARM_PROGRAMS ? ' (tool program re-warmed)' : ''}; MB = 10^6 bytes`,
  );
  out.push(`machine: ${os.cpus().length} CPUs; 1-min load average ${loadBefore} before the timed runs, ${loadAfter} after`);
  const othersShares = measures.flatMap((m) => m.samples.map((x) => x.othersCpuShare)).filter((x): x is number => x != null);
  const othersMean = othersShares.length ? othersShares.reduce((a, b) => a + b, 0) / othersShares.length : null;
  if (othersMean != null) {
    out.push(
      `other processes (and kernel writeback) used ${(othersMean * 100).toFixed(0)}% of the machine's CPU during the timed runs on average ("others CPU" per row)`,
    );
    if (othersMean > 0.15) out.push('WARNING: the machine was busy with other work during the runs; CPU and disk were shared, so the figures are noisy (see the individual runs).');
  }
  out.push('');
  out.push(
    formatTable(
      ['package', 'seconds', 'output MB', 'tree/output'],
      [
        ['dpkg-deb -Zzstd --build (level 3)', fmtSeconds(debBuild.seconds), fmtMB(debBytes), fmtRatio(spec.totalBytes / debBytes)],
        zpkgBuild && zpkgBuild.code === 0 && repoBytes
          ? ['zpkg build (whole repository)', fmtSeconds(zpkgBuild.seconds), fmtMB(repoBytes), fmtRatio(spec.totalBytes / repoBytes)]
          : ['zpkg build', 'n/a', 'n/a', zs.available ? 'failed' : 'zpkg not available yet'],
        ['tar -cf (uncompressed)', fmtSeconds(tarBuild.seconds), fmtMB(tarBytes), fmtRatio(spec.totalBytes / tarBytes)],
      ],
    ),
  );
  out.push('');
  const rows = measures.map((m) => {
    if (!ok(m)) return [m.label, m.syncCounts ? durability(m) : m.claimed, m.failed ? 'FAILED' : 'n/a', '', '', '', '', '', m.failed ? 'see problems' : (m.why ?? '')];
    const s = stat(m);
    const tc = m.treeCheck;
    return [
      m.label,
      durability(m),
      fmtSeconds(s.median),
      m.samples.map((x) => fmtSeconds(x.seconds)).join(' '),
      mbps(s.median).toFixed(0),
      fmtSeconds(s.syncAfter),
      s.rssKiB == null ? 'n/a' : (s.rssKiB / 1024).toFixed(0),
      s.user == null || s.sys == null ? 'n/a' : `${fmtSeconds(s.user)}+${fmtSeconds(s.sys)}`,
      s.others == null ? 'n/a' : `${(s.others * 100).toFixed(0)}%`,
      tc ? (tc.mismatches ? `${tc.mismatches} differ` : `identical (${fmtInt(tc.checked)})`) : '',
    ];
  });
  out.push(
    formatTable(['install', 'durability (counted)', 'median s', 'runs s', 'MB/s', 'sync after s', 'peak RSS MB', 'CPU usr+sys s', 'others CPU', 'tree vs source'], rows, [
      'left',
      'left',
      'right',
      'left',
      'right',
      'right',
      'right',
      'right',
      'right',
      'left',
    ]),
  );

  const med = (id: string): number | null => {
    const m = measures.find((x) => x.id === id)!;
    return ok(m) ? stat(m).median : null;
  };
  const ratio = (a: string, b: string): number | null => {
    const x = med(a);
    const y = med(b);
    return x != null && y != null ? x / y : null;
  };
  const ratios = {
    zpkg_over_dpkg: ratio('zpkg', 'dpkg'),
    zpkg_unsafe_over_dpkg_unsafe: ratio('zpkg-unsafe', 'dpkg-unsafe'),
    zpkg_over_tar: ratio('zpkg', 'tar'),
    zpkg_unsafe_over_tar: ratio('zpkg-unsafe', 'tar'),
    dpkg_over_tar: ratio('dpkg', 'tar'),
    dpkg_unsafe_over_dpkg: ratio('dpkg-unsafe', 'dpkg'),
  };
  out.push('');
  out.push(
    formatTable(
      ['ratio (time / time)', 'value'],
      [
        ['zpkg / dpkg           (each at its default durability)', fmtRatio(ratios.zpkg_over_dpkg)],
        [`zpkg ${ZPKG_UNSAFE_IO_FLAG} / dpkg --force-unsafe-io (no fsync either)`, fmtRatio(ratios.zpkg_unsafe_over_dpkg_unsafe)],
        ['zpkg / tar -x         (tar never syncs)', fmtRatio(ratios.zpkg_over_tar)],
        [`zpkg ${ZPKG_UNSAFE_IO_FLAG} / tar -x`, fmtRatio(ratios.zpkg_unsafe_over_tar)],
        ['dpkg / tar -x', fmtRatio(ratios.dpkg_over_tar)],
        ['dpkg --force-unsafe-io / dpkg', fmtRatio(ratios.dpkg_unsafe_over_dpkg)],
      ],
      ['left', 'right'],
    ),
  );

  const verifyRows = verifies.map(([name, m]) => {
    const v = verify[name];
    if (!v) return [name, 'n/a', '', '', m.why ?? 'install failed'];
    const s = median(v.seconds);
    return [name, fmtSeconds(s), mbps(s).toFixed(0), v.rssKiB == null ? 'n/a' : (v.rssKiB / 1024).toFixed(0), v.ok ? v.detail : `FAILED: ${v.detail}`];
  });
  out.push('');
  out.push(formatTable(['verify (cold cache)', 'median s', 'MB/s', 'peak RSS MB', 'result'], verifyRows, ['left', 'right', 'right', 'right', 'left']));

  // Goals, stated honestly.
  const zpkgOk = ok(zpkgM);
  const notMeasured = zs.available ? 'zpkg install did not complete (see problems)' : `zpkg is not available yet (${zs.reason})`;
  const goals: GoalResult[] = [];
  const r1 = ratios.zpkg_over_dpkg;
  goals.push(
    r1 == null
      ? { goal: 'zpkg install ≥ 2× faster than dpkg -i', status: 'not measured', detail: notMeasured }
      : {
          goal: 'zpkg install ≥ 2× faster than dpkg -i',
          status: r1 <= GOAL_VS_DPKG ? 'met' : 'not met',
          detail: `zpkg ${fmtSeconds(med('zpkg'))} s vs dpkg ${fmtSeconds(med('dpkg'))} s: ${(1 / r1).toFixed(2)}× faster (zpkg/dpkg ${fmtRatio(r1)}, goal ≤ ${GOAL_VS_DPKG.toFixed(2)}×)`,
        },
  );
  const r2 = ratios.zpkg_over_tar;
  goals.push(
    r2 == null
      ? { goal: 'zpkg install within 1.2× of tar -x', status: 'not measured', detail: notMeasured }
      : {
          goal: 'zpkg install within 1.2× of tar -x',
          status: r2 <= GOAL_VS_TAR ? 'met' : 'not met',
          detail: `zpkg ${fmtSeconds(med('zpkg'))} s vs tar ${fmtSeconds(med('tar'))} s: zpkg/tar ${fmtRatio(r2)} (goal ≤ ${GOAL_VS_TAR.toFixed(2)}×)`,
        },
  );
  if (!zpkgOk) {
    goals.push({ goal: 'every digest verified', status: 'not measured', detail: notMeasured });
  } else {
    const zv = verify['zpkg verify'];
    const tc = zpkgM.treeCheck;
    const parts = [
      `zpkg verify after install: ${zv ? (zv.ok ? 'clean' : `FAILED (${zv.detail})`) : 'not run'}`,
      `installed tree vs source: ${tc ? (tc.mismatches ? `${tc.mismatches} differ` : `identical (${fmtInt(tc.checked)} entries, sha256)`) : 'not checked'}`,
      `altered blob: ${tamper.detail}`,
    ];
    const met = !!zv?.ok && !!tc && tc.mismatches === 0 && tamper.refused === true && tamper.wroteFiles === 0;
    goals.push({ goal: 'every digest verified', status: met ? 'met' : 'not met', detail: parts.join('; ') });
  }
  out.push('');
  out.push(formatTable(['goal (issue 2)', 'status', 'detail'], goals.map((g) => [g.goal, g.status.toUpperCase(), g.detail]), ['left', 'left', 'left']));
  out.push('');
  out.push(
    'dpkg -i runs with --no-force-unsafe-io (dpkg\'s own default: fsync of every file before its rename)' +
      (dpkgCfgUnsafe ? `, overriding force-unsafe-io set by ${dpkgCfgUnsafe} on this machine` : '') +
      '; tar -x reads an uncompressed tar and never syncs; "sync after" is the writeback a run leaves to the next sync.',
  );
  if (!zs.available) {
    out.push('');
    out.push(`zpkg is not available yet: ${zs.reason}. Only the dpkg and tar rows were measured.`);
  }
  if (problems.length) {
    out.push('');
    out.push('problems:');
    for (const p of problems) out.push(`  - ${p.replaceAll('\n', '\n    ')}`);
  }
  console.log(out.join('\n'));

  const measureData = Object.fromEntries(
    measures.map((m) => {
      const s = ok(m) ? stat(m) : null;
      return [
        m.id,
        {
          label: m.label,
          available: m.available,
          failed: m.failed ?? null,
          durability: durability(m),
          sync_calls: m.syncCounts ?? null,
          runs_s: m.samples.map((x) => round(x.seconds)),
          median_s: round(s?.median),
          mb_per_s: s ? round(mbps(s.median), 1) : null,
          sync_after_median_s: round(s?.syncAfter),
          peak_rss_kib: s?.rssKiB ?? null,
          cpu_user_median_s: round(s?.user),
          cpu_sys_median_s: round(s?.sys),
          others_cpu_share_median: round(s?.others),
          tree_mismatches: m.treeCheck?.mismatches ?? null,
        },
      ];
    }),
  );
  const data = {
    quick: ctx.quick,
    reps: ctx.reps,
    versions,
    cpus: os.cpus().length,
    load_average_before: loadBefore,
    load_average_after: loadAfter,
    others_cpu_share_mean: round(othersMean),
    cache_dropped: cacheDropped,
    dpkg_config_forces_unsafe_io: dpkgCfgUnsafe,
    programs_warmed: WARM_PROGRAMS,
    tree: {
      files: spec.files.length,
      dirs: spec.dirs.length,
      symlinks: spec.links.length,
      bytes: spec.totalBytes,
      seed: spec.seed,
      generate_s: round(genSeconds),
    },
    build: {
      deb: { seconds: round(debBuild.seconds), bytes: debBytes },
      zpkg: zpkgBuild && zpkgBuild.code === 0 ? { seconds: round(zpkgBuild.seconds), repo_bytes: repoBytes } : null,
      tar: { seconds: round(tarBuild.seconds), bytes: tarBytes },
    },
    install: measureData,
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v)])),
    verify: Object.fromEntries(
      Object.entries(verify).map(([k, v]) => [k, { median_s: round(median(v.seconds)), runs_s: v.seconds.map((x) => round(x)), ok: v.ok, detail: v.detail, peak_rss_kib: v.rssKiB }]),
    ),
    tamper,
    zpkg: { available: zs.available, reason: zs.reason, unsafe_io_flag: zs.unsafeIo ? ZPKG_UNSAFE_IO_FLAG : null },
    goals,
    problems,
  };

  const summary = ok(zpkgM)
    ? `zpkg ${fmtSeconds(med('zpkg'))} s, dpkg ${fmtSeconds(med('dpkg'))} s, tar ${fmtSeconds(med('tar'))} s (zpkg/dpkg ${fmtRatio(r1)}, zpkg/tar ${fmtRatio(r2)})`
    : `dpkg ${fmtSeconds(med('dpkg'))} s, dpkg unsafe ${fmtSeconds(med('dpkg-unsafe'))} s, tar ${fmtSeconds(med('tar'))} s; zpkg: ${zs.available ? 'failed' : 'not available yet'}`;
  return { summary, goals, data };
}

/** The dpkg configuration file that turns on force-unsafe-io, if any (e.g. Docker's docker-apt-speedup). */
function dpkgConfigForcesUnsafeIo(): string | null {
  const files = ['/etc/dpkg/dpkg.cfg'];
  try {
    for (const f of readdirSync('/etc/dpkg/dpkg.cfg.d')) files.push(`/etc/dpkg/dpkg.cfg.d/${f}`);
  } catch {
    // no directory
  }
  for (const f of files) {
    try {
      if (readFileSync(f, 'utf8').split('\n').some((l) => l.trim() === 'force-unsafe-io')) return f;
    } catch {
      // unreadable: ignore
    }
  }
  return null;
}

function loadAverage(): number {
  return round(os.loadavg()[0], 2) ?? 0;
}

function failure(r: RunResult, shown: (s: string) => string): string {
  return `\`${shown(r.command)}\` failed (${describeExit(r)}):\n${tailLines(shown(r.stderr.trim() || r.stdout.trim()), 15)}`;
}

async function zpkgStatus(node: string, bin: string): Promise<ZpkgStatus> {
  const main = join(bin, '..', '..', 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) return { available: false, reason: 'dist/src/cli/main.js does not exist', unsafeIo: false };
  const help = await run(node, [bin, '--help']);
  if (help.code !== 0) {
    return { available: false, reason: `\`node bin/zpkg.js --help\` ${describeExit(help)}: ${tailLines(help.stderr || help.stdout, 3)}`, unsafeIo: false };
  }
  const ih = await run(node, [bin, 'install', '--help']);
  return { available: true, reason: '', unsafeIo: ih.code === 0 && `${ih.stdout}\n${ih.stderr}`.includes(ZPKG_UNSAFE_IO_FLAG) };
}

const SYNC_CALLS = ['fsync', 'fdatasync', 'syncfs', 'sync', 'sync_file_range'] as const;

/** Runs the command once under `strace -f -c` and counts its sync-family system calls. */
async function countSyncCalls([cmd, args]: [string, string[]]): Promise<SyncCounts> {
  const out = join(process.env.TMPDIR ?? '/tmp', `zpkg-bench-strace-${process.pid}.txt`);
  rmSync(out, { force: true });
  const r = await run('strace', ['-f', '-c', '-qq', '-o', out, '-e', `trace=${SYNC_CALLS.join(',')}`, cmd, ...args]);
  if (r.code !== 0) throw new Error(`\`${[cmd, ...args].join(' ')}\` under strace failed (${describeExit(r)}): ${tailLines(r.stderr, 10)}`);
  const counts: SyncCounts = { fsync: 0, fdatasync: 0, syncfs: 0, sync: 0, sync_file_range: 0 };
  const text = existsSync(out) ? readFileSync(out, 'utf8') : '';
  rmSync(out, { force: true });
  for (const line of text.split('\n')) {
    // % time  seconds  usecs/call  calls  [errors]  syscall
    const m = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?(\w+)\s*$/.exec(line);
    if (m && m[2]! in counts) counts[m[2] as keyof SyncCounts] += Number(m[1]);
  }
  return counts;
}

export function describeDurability(c: SyncCounts, files: number): string {
  const f = c.fsync + c.fdatasync;
  const parts: string[] = [];
  if (f >= files * 0.5) parts.push(`fsync per file (${fmtInt(f)})`);
  else if (f > 0) parts.push(`no per-file fsync (${fmtInt(f)} fsync)`);
  if (c.syncfs) parts.push(c.syncfs === 1 ? 'one syncfs' : `${fmtInt(c.syncfs)} syncfs`);
  if (c.sync) parts.push(c.sync === 1 ? 'one sync' : `${fmtInt(c.sync)} sync`);
  return parts.length ? parts.join(' + ') : 'none (0 sync calls)';
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

function duBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

function findFileNamed(dir: string, needle: string): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const hit = findFileNamed(p, needle);
      if (hit) return hit;
    } else if (e.isFile() && e.name.includes(needle)) {
      return p;
    }
  }
  return null;
}

function countFiles(dir: string, skip: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (p === skip) continue;
    if (e.isDirectory()) n += countFiles(p, skip);
    else n++;
  }
  return n;
}

/**
 * Copies the repository (hard links), replaces the blob of one mid-sized file with a
 * blob whose content differs by one byte (re-compressed with zstd when the blob is a
 * plain zstd frame, else one byte flipped in place), and installs from it into a fresh
 * image: zpkg must exit non-zero and leave no file of the package behind.
 */
async function tamperTest(
  w: string,
  repo: string,
  tree: string,
  spec: TreeSpec,
  zpkg: (...args: string[]) => [string, string[]],
  prepare: (target: string, repoDir?: string) => Promise<void>,
  shown: (s: string) => string,
): Promise<TamperResult> {
  const victim = spec.files.find((f) => f.size > 20_000 && f.size < 200_000 && f.kind === 'text') ?? spec.files[0]!;
  const badRepo = join(w, 'repo-tampered');
  await mustRun('cp', ['-al', repo, badRepo]);
  const blob = findFileNamed(badRepo, victim.sha256);
  if (!blob) return { refused: null, wroteFiles: null, detail: `could not find a blob named after sha256 ${victim.sha256.slice(0, 12)}… in the repository`, message: '' };
  const raw = readFileSync(blob);
  unlinkSync(blob); // break the hard link before writing
  let how: string;
  writeFileSync(`${blob}.orig`, raw);
  const dec = await run('zstd', ['-d', '-q', '-f', '-o', `${blob}.plain`, `${blob}.orig`]);
  const decoded = dec.code === 0 && existsSync(`${blob}.plain`) ? readFileSync(`${blob}.plain`) : null;
  rmSync(`${blob}.plain`, { force: true });
  if (decoded && createHash('sha256').update(decoded).digest('hex') === victim.sha256) {
    const content = readFileSync(join(tree, victim.path));
    const at = content.length >> 1;
    content[at] = content[at]! ^ 0x01;
    writeFileSync(`${blob}.plain`, content);
    await mustRun('zstd', ['-q', '-3', '-f', '-o', blob, `${blob}.plain`]);
    rmSync(`${blob}.plain`);
    how = 'content changed by one bit, re-compressed as valid zstd';
  } else {
    const at = raw.length >> 1;
    raw[at] = raw[at]! ^ 0x01;
    writeFileSync(blob, raw);
    how = 'one bit flipped in the stored blob';
  }
  rmSync(`${blob}.orig`);
  const image = join(w, 't', 'tampered');
  try {
    await prepare(image, badRepo);
  } catch (e) {
    return { refused: null, wroteFiles: null, detail: `could not set up the image: ${(e as Error).message}`, message: '' };
  }
  const r = await run(...zpkg('--root', image, 'install', PKG));
  const wrote = countFiles(join(image, 'usr'), '');
  rmSync(badRepo, { recursive: true, force: true });
  rmSync(image, { recursive: true, force: true });
  const message = shown(r.stderr.trim() || r.stdout.trim());
  const short = message.split('\n')[0]!.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…');
  const brief = short.length > 140 ? `${short.slice(0, 140)}…` : short;
  if (r.code === 0) return { refused: false, wroteFiles: wrote, detail: `${how}: install SUCCEEDED (${shown(r.command)}) — digest not checked`, message };
  return {
    refused: true,
    wroteFiles: wrote,
    detail: `${how} in ${relative(badRepo, blob).replace(/[0-9a-f]{52}\.zst$/, '….zst')}: refused (${describeExit(r)}: "${brief}"); ${wrote} package files left in the image`,
    message,
  };
}
