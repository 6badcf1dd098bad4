/**
 * Suite `solver`: zpkg's dependency solver against libsolv on the real Debian
 * bookworm main index, side by side in one run (issue 3's benchmark).
 *
 * Method
 * - The machine's `Packages` index (apt's LZ4 file) is decompressed once to a
 *   plain file under .bench/solver/; every tool reads that same plain file.
 * - Solving: each side runs as its own process, so its peak RSS is its own —
 *   libsolv through python3-solv (bench/libsolv.py: `add_debpackages`,
 *   `addfileprovides`, `createwhatprovides`, recommends ignored, jobs
 *   `select(NAME, SELECTION_NAME).jobs(SOLVER_INSTALL)`), zpkg through
 *   dist/bench/solver-zpkg.js (the repository's catalog read, decoded and
 *   indexed as `install` loads a refreshed remote: bytes checked against
 *   their digest, `decodeCatalogTable(…, {verified: true})` + `buildPool`,
 *   then `solve(pool, [], {install: [{name}]})`; the decode with every check
 *   that `refresh` and `repo check` do is timed apart). Jobs: install gnome,
 *   kde-full, texlive-full, build-essential on an empty system. Each process
 *   loads once and solves each job 5 times (more with a larger --reps); the
 *   process is run `reps` times, the sides interleaved, and medians are
 *   reported. Load and solve times are measured inside the processes
 *   (interpreter start-up excluded); peak RSS comes from `/usr/bin/time`.
 * - Loading, three pairs: zpkg's own catalog against libsolv reading the
 *   Packages text (what the goal compares: each tool's way in from what an
 *   install reads); zpkg's Debian import (`importIndexFileTable`, what
 *   `repo import-index` parses, then `buildPool`) against the same
 *   `add_debpackages`; and zpkg's catalog against libsolv's own binary format
 *   (`add_solv` of the .solv file, a third libsolv process per run).
 * - `zpkg --root IMG install -n build-essential` through the whole CLI (Node
 *   start-up included) against the repository as a remote: wall time and
 *   peak RSS of what a person waits for.
 * - zpkg keeps lazily built relation indexes in its pool, so a job's first
 *   solve pays for what its later solves reuse: the first and the median solve
 *   are both shown, and the speed goal is judged on load + first solve (what
 *   one `zpkg install` costs) and on load + median solve.
 * - Installability of every package: `installcheck amd64 main.solv` (the .solv
 *   written once by python3-solv, not timed), `zpkg repo check` (the whole CLI
 *   command, on a repository made by `zpkg repo import-index`), zpkg's
 *   `checkInstallable` in process, and `dose-distcheck -f --summary
 *   deb://PLAIN` (once: it takes half a minute). The sets of uninstallable
 *   packages are compared, and every difference is printed.
 */
import { readFileSync, readdirSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { decompressIndex } from '../src/repo/debian/index.js';
import { haveGnuTime, machineBusySeconds, median, run, tailLines, timed, which, type TimedResult } from './proc.js';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';
import { fmtInt, fmtMB, fmtRatio, fmtSeconds, formatTable, round } from './table.js';

const JOBS = ['gnome', 'kde-full', 'texlive-full', 'build-essential'] as const;
const SOLVES_PER_PROCESS = 5;
const PYTHON = '/usr/bin/python3';
const MEMORY_GOAL_BYTES = 300e6;
/** The issue's figures for libsolv and installcheck on this machine, printed for the reader. */
const ISSUE_FIGURES = 'issue 3 quotes, for this machine: libsolv load 0.30 s, solve 12–19 ms; installcheck 1.75 s';

interface JobResult {
  name: string;
  ok: boolean;
  seconds: number[];
  first_s: number;
  median_s: number;
  chosen: number | null;
  /** zpkg only: chosen packages no dependency chain from the request reaches (first solve). */
  unneeded?: string[] | null;
  problems: string[];
}

interface Loaded {
  parse_s: number;
  index_s: number;
  total_s: number;
  /** zpkg's catalog, decoded again with every check (as `refresh` and `repo check` do). */
  decode_checked_s?: number;
}

interface ImportOutput {
  load: Loaded;
  entries_s: number;
  max_rss_kib_table: number;
  max_rss_kib: number;
}

interface SolveOutput {
  load: Loaded;
  jobs: JobResult[];
  max_rss_kib: number;
}

interface CheckOutput {
  load: Loaded;
  check_s: number;
  uninstallable: string[];
  max_rss_kib: number;
}

/** A command run several times: wall seconds and peak RSS of each run. */
interface Runs {
  wall: number[];
  rssKiB: (number | null)[];
}

const newRuns = (): Runs => ({ wall: [], rssKiB: [] });
const addRun = (r: Runs, t: TimedResult): void => {
  r.wall.push(t.seconds);
  r.rssKiB.push(t.maxRssKiB);
};
const peakKiB = (r: Runs): number | null => (r.rssKiB.some((x) => x != null) ? Math.max(...r.rssKiB.map((x) => x ?? 0)) : null);
const mb = (kib: number | null | undefined): string => (kib == null ? 'n/a' : fmtMB(kib * 1024));
const ms = (s: number | null | undefined): string => (s == null || !Number.isFinite(s) ? 'n/a' : s < 0.01 ? (s * 1000).toFixed(2) : (s * 1000).toFixed(1));

export const solverSuite: BenchSuite = {
  name: 'solver',
  description: 'Debian bookworm main: load + solve 4 jobs and check every package, zpkg vs libsolv (python3-solv, installcheck) and dose-distcheck',
  run: runSolver,
};

/** The main binary-amd64 Packages index apt keeps (base suite first), or $ZPKG_PACKAGES_INDEX. */
export function findPackagesIndex(): string | undefined {
  const forced = process.env['ZPKG_PACKAGES_INDEX'];
  if (forced && existsSync(forced)) return forced;
  const dir = '/var/lib/apt/lists';
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const hits = names
    .map((n) => ({ n, m: /_dists_(.+)_main_binary-amd64_Packages(\.[a-z0-9]+)?$/.exec(n) }))
    .filter((x) => x.m)
    .sort((a, b) => Number(a.m![1]!.includes('-')) - Number(b.m![1]!.includes('-')) || a.n.localeCompare(b.n));
  return hits[0] ? join(dir, hits[0].n) : undefined;
}

/** `NAME-VERSION.ARCH` (libsolv's spelling) → `NAME VERSION`, for every stanza of a plain Packages text. */
export function solvableNames(packagesText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of packagesText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    const arch = /^Architecture:\s*(\S+)/m.exec(stanza)?.[1];
    if (name && version && arch) out.set(`${name}-${version}.${arch}`, `${name} ${version}`);
  }
  return out;
}

/**
 * The packages `installcheck` reports (`can't install NAME-VERSION.ARCH:`), as
 * `NAME VERSION`: versions contain `-`, so the line is matched against the
 * known solvables rather than split.
 */
export function parseInstallcheck(output: string, names: Map<string, string>): { packages: string[]; unknown: string[] } {
  const packages: string[] = [];
  const unknown: string[] = [];
  for (const m of output.matchAll(/^can't install (.+):$/gm)) {
    const hit = names.get(m[1]!);
    if (hit) packages.push(hit);
    else unknown.push(m[1]!);
  }
  return { packages: [...new Set(packages)].sort(), unknown };
}

/** The broken packages of `dose-distcheck -f --summary` (YAML; report items sit at two spaces). */
export function parseDose(output: string): string[] {
  const out: string[] = [];
  for (const m of output.matchAll(/^ {2}package: (\S+)\n {2}version: (\S+)\n(?: {2}architecture: \S+\n)? {2}status: broken$/gm)) out.push(`${m[1]} ${m[2]}`);
  return out.sort();
}

/**
 * Relations qualified with another architecture (`libc6-x32:i386`, `gcc:arm64`),
 * as `PACKAGE (Field: atoms)`: libsolv lets them match nothing in an amd64 pool;
 * when zpkg read them otherwise (it dropped the qualifier before 79295e5), the
 * uninstallable sets differed. Printed when the sets differ.
 */
export function foreignQualifiers(packagesText: string, arch = 'amd64'): string[] {
  const out: string[] = [];
  for (const stanza of packagesText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const found: string[] = [];
    for (const m of stanza.matchAll(/^(Pre-Depends|Depends|Conflicts|Breaks):(.*(?:\n[ \t].*)*)/gm)) {
      const atoms = [...m[2]!.replace(/\([^)]*\)/g, '').matchAll(/([A-Za-z0-9][A-Za-z0-9+._-]*):([a-z][a-z0-9-]*)/g)]
        .filter((q) => q[2] !== 'any' && q[2] !== 'native' && q[2] !== arch)
        .map((q) => q[0]);
      if (atoms.length) found.push(`${m[1]}: ${atoms.join(', ')}`);
    }
    if (found.length) out.push(`${name} (${found.join('; ')})`);
  }
  return out;
}

/** The line of an explanation that names the conflict, if any (the usual culprit of a disagreement), else its last line. */
function keyReason(reason: readonly string[]): string {
  return reason.find((l) => l.includes(' conflicts with ')) ?? reason.at(-1) ?? '(no reason given)';
}

function difference(a: readonly string[], b: readonly string[]): string[] {
  const bs = new Set(b);
  return a.filter((x) => !bs.has(x));
}

function parseJson<T>(r: TimedResult, what: string): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`${what} printed no JSON (exit ${r.code}): ${tailLines(r.stderr || r.stdout, 10)}`);
  }
}

async function runSolver(ctx: BenchContext): Promise<SuiteResult> {
  const w = ctx.workDir;
  const problems: string[] = [];
  const node = process.execPath;
  const zpkgBin = join(ctx.repoRoot, 'bin', 'zpkg.js');
  const zpkgSide = join(ctx.repoRoot, 'dist', 'bench', 'solver-zpkg.js');
  const libsolvPy = join(ctx.repoRoot, 'bench', 'libsolv.py');
  if (!haveGnuTime) ctx.log('/usr/bin/time is missing (apt-get install -y time): peak RSS reads n/a');

  // Peers.
  const solvOk = (await run(PYTHON, ['-c', 'import solv'])).code === 0;
  if (!solvOk) throw new Error(`python3-solv is not importable by ${PYTHON} (apt-get install -y python3-solv)`);
  const installcheck = which('installcheck');
  if (!installcheck) throw new Error('installcheck is not installed (apt-get install -y libsolv-tools)');
  const dose = ctx.quick ? null : which('dose-distcheck');
  if (!ctx.quick && !dose) ctx.log('dose-distcheck is not installed (apt-get install -y dose-distcheck): its row reads n/a');

  // 1. The index, as one plain file.
  const index = findPackagesIndex();
  if (!index) throw new Error('no Debian main binary-amd64 Packages index under /var/lib/apt/lists (run apt-get update, or set ZPKG_PACKAGES_INDEX)');
  const plain = join(w, 'Packages');
  const plainBytes = decompressIndex(readFileSync(index), index);
  writeFileSync(plain, plainBytes);
  const names = solvableNames(plainBytes.toString('utf8'));
  ctx.log(`index ${index}: ${fmtInt(names.size)} stanzas, ${fmtMB(plainBytes.length)} MB plain → ${plain}`);

  // 2. The .solv for installcheck (python3-solv writes it; not a timed figure).
  const solvFile = join(w, 'main.solv');
  const ws = await timed(PYTHON, [libsolvPy, 'write-solv', plain, solvFile]);
  if (ws.code !== 0) throw new Error(`libsolv.py write-solv failed: ${tailLines(ws.stderr, 10)}`);

  // 3. A catalog-only repository for `zpkg repo check`, `install -n` and the zpkg solve processes.
  const repo = join(w, 'repo');
  const imp = await timed(node, [zpkgBin, '--json', 'repo', 'import-index', plain, '--repo', repo]);
  if (imp.code !== 0) throw new Error(`zpkg repo import-index failed: ${tailLines(imp.stderr || imp.stdout, 10)}`);
  const imported = parseJson<{ packages: number; dependencyClauses: number; provides: number; conflicts: number; skipped: unknown[]; seconds: { total: number } }>(
    imp,
    'zpkg repo import-index',
  );
  ctx.log(
    `zpkg repo import-index: ${fmtInt(imported.packages)} packages, ${fmtInt(imported.dependencyClauses)} dependency clauses, ${fmtInt(imported.provides)} provides, ` +
      `${fmtInt(imported.conflicts)} conflicts, ${imported.skipped.length} skipped, ${fmtSeconds(imp.seconds)} s`,
  );

  const image = join(w, 'image');
  const addRemote = await run(node, [zpkgBin, '--root', image, 'remote', 'add', 'main', repo, '--insecure']);
  if (addRemote.code !== 0) throw new Error(`zpkg remote add failed: ${tailLines(addRemote.stderr || addRemote.stdout, 10)}`);

  // 4. Solving, the sides interleaved; libsolv also from its .solv file.
  const solves = Math.max(SOLVES_PER_PROCESS, ctx.reps);
  const sides = {
    libsolv: { out: [] as SolveOutput[], runs: newRuns() },
    libsolvSolv: { out: [] as SolveOutput[], runs: newRuns() },
    zpkg: { out: [] as SolveOutput[], runs: newRuns() },
  };
  const busy0 = machineBusySeconds();
  let measuredCpu = 0;
  let measuredWall = 0;
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const side of ['libsolv', 'zpkg', 'libsolvSolv'] as const) {
      const jobArgs = ['--jobs', JOBS.join(','), '--reps', String(solves)];
      const [cmd, args] =
        side === 'zpkg' ? [node, [zpkgSide, 'solve', repo, ...jobArgs]] : [PYTHON, [libsolvPy, 'solve', side === 'libsolv' ? plain : solvFile, ...jobArgs]];
      const r = await timed(cmd, args);
      if (r.code !== 0) throw new Error(`${side} solve process failed (exit ${r.code}): ${tailLines(r.stderr, 10)}`);
      const out = parseJson<SolveOutput>(r, `${side} solve process`);
      sides[side].out.push(out);
      addRun(sides[side].runs, r);
      measuredCpu += (r.userSeconds ?? 0) + (r.systemSeconds ?? 0);
      measuredWall += r.seconds;
      ctx.log(`run ${rep + 1}/${ctx.reps} ${side}: load ${fmtSeconds(out.load.total_s)} s, ${out.jobs.map((j) => `${j.name} ${ms(j.median_s)} ms`).join(', ')}, peak ${mb(r.maxRssKiB)} MB`);
    }
  }

  // 4b. The Debian import, and `install -n` through the whole CLI.
  const imports: ImportOutput[] = [];
  const importRuns = newRuns();
  const installRuns = newRuns();
  let installOut: { install?: unknown[] } | undefined;
  for (let rep = 0; rep < ctx.reps; rep++) {
    const im = await timed(node, [zpkgSide, 'import', plain]);
    if (im.code !== 0) throw new Error(`zpkg import process failed (exit ${im.code}): ${tailLines(im.stderr, 10)}`);
    imports.push(parseJson<ImportOutput>(im, 'zpkg import process'));
    addRun(importRuns, im);
    const inst = await timed(node, [zpkgBin, '--root', image, '--json', 'install', '-n', 'build-essential']);
    if (inst.code !== 0) throw new Error(`zpkg install -n failed (exit ${inst.code}): ${tailLines(inst.stderr || inst.stdout, 10)}`);
    installOut = parseJson(inst, 'zpkg install -n');
    addRun(installRuns, inst);
    for (const r of [im, inst]) {
      measuredCpu += (r.userSeconds ?? 0) + (r.systemSeconds ?? 0);
      measuredWall += r.seconds;
    }
    ctx.log(`run ${rep + 1}/${ctx.reps} import: importIndexFileTable ${fmtSeconds(imports.at(-1)!.load.parse_s)} s; install -n build-essential ${fmtSeconds(inst.seconds)} s wall`);
  }

  // 5. Installability of every package.
  const checks = { installcheck: newRuns(), cli: newRuns(), inproc: newRuns() };
  let installcheckOut = '';
  let cliOut: { packages: number; uninstallable: { name: string; version: string; reason: string[] }[]; seconds: number; timing?: Record<string, number> } | undefined;
  const inproc: CheckOutput[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const ic = await timed(installcheck, ['amd64', solvFile]);
    if (ic.code !== 0 && ic.code !== 1) throw new Error(`installcheck failed (exit ${ic.code}): ${tailLines(ic.stderr, 10)}`);
    installcheckOut = ic.stdout;
    addRun(checks.installcheck, ic);
    const cli = await timed(node, [zpkgBin, '--json', 'repo', 'check', repo]);
    if (cli.code !== 0 && cli.code !== 1) throw new Error(`zpkg repo check failed (exit ${cli.code}): ${tailLines(cli.stderr || cli.stdout, 10)}`);
    cliOut = parseJson(cli, 'zpkg repo check');
    addRun(checks.cli, cli);
    const ip = await timed(node, [zpkgSide, 'check', repo]);
    if (ip.code !== 0) throw new Error(`zpkg check process failed (exit ${ip.code}): ${tailLines(ip.stderr, 10)}`);
    inproc.push(parseJson<CheckOutput>(ip, 'zpkg check process'));
    addRun(checks.inproc, ip);
    for (const r of [ic, cli, ip]) {
      measuredCpu += (r.userSeconds ?? 0) + (r.systemSeconds ?? 0);
      measuredWall += r.seconds;
    }
    ctx.log(`run ${rep + 1}/${ctx.reps} check: installcheck ${fmtSeconds(ic.seconds)} s, zpkg repo check ${fmtSeconds(cli.seconds)} s, checkInstallable ${fmtSeconds(inproc.at(-1)!.check_s)} s`);
  }
  const busy1 = machineBusySeconds();
  const othersShare = busy0 == null || busy1 == null || measuredWall === 0 ? null : Math.max(0, busy1 - busy0 - measuredCpu) / (measuredWall * os.cpus().length);
  let doseRun: TimedResult | null = null;
  if (dose) {
    ctx.log('dose-distcheck -f --summary (once)');
    doseRun = await timed(dose, ['-f', '--summary', `deb://${plain}`]);
    if (doseRun.code !== 0 && doseRun.code !== 1) {
      problems.push(`dose-distcheck exited ${doseRun.code}: ${tailLines(doseRun.stderr, 5)}`);
      doseRun = null;
    }
  }

  // 6. The sets.
  const ic = parseInstallcheck(installcheckOut, names);
  if (ic.unknown.length) problems.push(`installcheck named solvables not in the index: ${ic.unknown.join(', ')}`);
  const zcli = (cliOut?.uninstallable ?? []).map((u) => `${u.name} ${u.version}`).sort();
  const zin = [...(inproc.at(-1)?.uninstallable ?? [])].sort();
  const doseSet = doseRun ? parseDose(doseRun.stdout) : null;
  const onlyZpkg = difference(zcli, ic.packages);
  const onlyIc = difference(ic.packages, zcli);
  const reasonOf = new Map((cliOut?.uninstallable ?? []).map((u) => [`${u.name} ${u.version}`, u.reason]));
  if (JSON.stringify(zin) !== JSON.stringify(zcli)) problems.push(`checkInstallable in process and \`zpkg repo check\` disagree: ${difference(zin, zcli).length} only in process, ${difference(zcli, zin).length} only in the CLI`);

  // 7. Figures.
  const med = (xs: number[]): number => median(xs);
  type Side = keyof typeof sides;
  const load = (side: Side): number => med(sides[side].out.map((o) => o.load.total_s));
  const jobFig = (side: 'libsolv' | 'zpkg', job: string) => {
    const js = sides[side].out.map((o) => o.jobs.find((j) => j.name === job)!);
    return {
      first: med(js.map((j) => j.first_s)),
      median: med(js.map((j) => j.median_s)),
      chosen: js[0]?.chosen ?? null,
      unneeded: js[0]?.unneeded ?? null,
      ok: js.every((j) => j.ok),
      problems: js[0]?.problems ?? [],
    };
  };
  const lLoad = load('libsolv');
  const zLoad = load('zpkg');
  const jobRows: string[][] = [];
  const jobData: Record<string, unknown> = {};
  let slowerFirst = 0;
  let slowerMedian = 0;
  for (const job of JOBS) {
    const l = jobFig('libsolv', job);
    const z = jobFig('zpkg', job);
    if (!z.ok) problems.push(`zpkg could not solve ${job}: ${z.problems.join(' / ')}`);
    if (!l.ok) problems.push(`libsolv could not solve ${job}: ${l.problems.join(' / ')}`);
    if (z.unneeded?.length) {
      problems.push(`zpkg's plan for ${job} installs ${z.unneeded.length} packages that no dependency of the request reaches: ${z.unneeded.slice(0, 12).join(', ')}${z.unneeded.length > 12 ? ', …' : ''}`);
    }
    const totalL = lLoad + l.median;
    const totalZFirst = zLoad + z.first;
    const totalZMed = zLoad + z.median;
    if (totalZFirst > totalL) slowerFirst++;
    if (totalZMed > totalL) slowerMedian++;
    jobRows.push([
      job,
      ms(l.first),
      ms(l.median),
      l.chosen == null ? 'fails' : fmtInt(l.chosen),
      ms(z.first),
      ms(z.median),
      z.chosen == null ? 'fails' : fmtInt(z.chosen),
      z.unneeded == null ? 'n/a' : fmtInt(z.unneeded.length),
      fmtRatio(z.median / l.median),
      fmtRatio(totalZFirst / totalL),
    ]);
    jobData[job] = {
      libsolv: { first_s: round(l.first, 5), median_s: round(l.median, 5), chosen: l.chosen, ok: l.ok },
      zpkg: { first_s: round(z.first, 5), median_s: round(z.median, 5), chosen: z.chosen, unneeded: z.unneeded, ok: z.ok },
      ratio_solve_median: round(z.median / l.median),
      ratio_load_plus_first_solve: round(totalZFirst / totalL),
      ratio_load_plus_median_solve: round(totalZMed / totalL),
    };
  }
  const lRss = peakKiB(sides.libsolv.runs);
  const zRss = peakKiB(sides.zpkg.runs);
  const parts = (side: Side) => ({
    parse: med(sides[side].out.map((o) => o.load.parse_s)),
    index: med(sides[side].out.map((o) => o.load.index_s)),
  });
  const lp = parts('libsolv');
  const zp = parts('zpkg');
  const sp = parts('libsolvSolv');
  const zChecked = med(sides.zpkg.out.map((o) => o.load.decode_checked_s ?? Number.NaN));
  const sLoad = load('libsolvSolv');
  const sRss = peakKiB(sides.libsolvSolv.runs);
  const zimp = {
    parse: med(imports.map((o) => o.load.parse_s)),
    index: med(imports.map((o) => o.load.index_s)),
    total: med(imports.map((o) => o.load.total_s)),
    entries: med(imports.map((o) => o.entries_s)),
    rssTable: Math.max(...imports.map((o) => o.max_rss_kib_table)),
  };
  const installWall = med(installRuns.wall);
  const installRss = peakKiB(installRuns);

  const icWall = med(checks.installcheck.wall);
  const cliWall = med(checks.cli.wall);
  const inprocCheck = med(inproc.map((o) => o.check_s));
  const inprocLoad = med(inproc.map((o) => o.load.total_s));
  const cliTiming = cliOut?.timing;
  const checkRows: string[][] = [
    ['installcheck amd64 main.solv', fmtSeconds(icWall), mb(peakKiB(checks.installcheck)), fmtInt(ic.packages.length), '1.00×', 'reads a prebuilt .solv'],
    [
      'zpkg repo check DIR (whole CLI)',
      fmtSeconds(cliWall),
      mb(peakKiB(checks.cli)),
      fmtInt(zcli.length),
      fmtRatio(cliWall / icWall),
      cliTiming ? `read catalog ${fmtSeconds(cliTiming['read'])} s, pool ${fmtSeconds(cliTiming['pool'])} s, check ${fmtSeconds(cliTiming['check'])} s` : '',
    ],
    [
      'zpkg checkInstallable (in process)',
      fmtSeconds(inprocCheck),
      mb(peakKiB(checks.inproc)),
      fmtInt(zin.length),
      fmtRatio(inprocCheck / icWall),
      `after a load of ${fmtSeconds(inprocLoad)} s from the catalog; RSS is the whole process`,
    ],
    [
      'dose-distcheck -f --summary deb://PLAIN',
      doseRun ? fmtSeconds(doseRun.seconds) : 'n/a',
      doseRun ? mb(doseRun.maxRssKiB) : 'n/a',
      doseSet ? fmtInt(doseSet.length) : 'n/a',
      doseRun ? fmtRatio(doseRun.seconds / icWall) : 'n/a',
      dose ? 'one run' : ctx.quick ? 'skipped under --quick' : 'not installed',
    ],
  ];

  // 8. Goals.
  const goals: GoalResult[] = [];
  goals.push({
    goal: 'load + solve no slower than libsolv',
    status: slowerFirst === 0 && slowerMedian === 0 ? 'met' : 'not met',
    detail:
      `load zpkg ${fmtSeconds(zLoad)} s vs libsolv ${fmtSeconds(lLoad)} s (${fmtRatio(zLoad / lLoad)}); ` +
      `zpkg load + first solve slower than libsolv load + solve on ${slowerFirst} of ${JOBS.length} jobs, load + median solve on ${slowerMedian} of ${JOBS.length}`,
  });
  goals.push({
    goal: 'repo check no slower than installcheck',
    status: cliWall <= icWall ? 'met' : 'not met',
    detail: `zpkg repo check ${fmtSeconds(cliWall)} s vs installcheck ${fmtSeconds(icWall)} s (${fmtRatio(cliWall / icWall)}); checkInstallable alone ${fmtSeconds(inprocCheck)} s`,
  });
  const zpkgPeaks: [string, number | null][] = [
    ['solve process', zRss],
    ['zpkg repo check', peakKiB(checks.cli)],
    ['check process', peakKiB(checks.inproc)],
    ['zpkg repo import-index', imp.maxRssKiB],
    ['install -n', installRss],
  ];
  const measuredPeaks = zpkgPeaks.filter((p): p is [string, number] => p[1] != null);
  goals.push(
    measuredPeaks.length === 0
      ? { goal: 'peak memory under 300 MB', status: 'not measured', detail: '/usr/bin/time is missing' }
      : {
          goal: 'peak memory under 300 MB',
          status: measuredPeaks.every(([, k]) => k * 1024 < MEMORY_GOAL_BYTES) ? 'met' : 'not met',
          detail: measuredPeaks.map(([what, k]) => `${what} ${mb(k)} MB`).join(', '),
        },
  );
  goals.push({
    goal: 'same uninstallable set as installcheck',
    status: onlyZpkg.length === 0 && onlyIc.length === 0 ? 'met' : 'not met',
    detail:
      `installcheck ${ic.packages.length}, zpkg ${zcli.length}` +
      (doseSet ? `, dose-distcheck ${doseSet.length}` : '') +
      `; only zpkg: ${onlyZpkg.length}, only installcheck: ${onlyIc.length}` +
      (doseSet ? `; dose vs installcheck: ${difference(doseSet, ic.packages).length + difference(ic.packages, doseSet).length} differ` : ''),
  });

  // 9. Report.
  const out: string[] = [''];
  out.push(
    `solver benchmark — ${index} (${fmtInt(names.size)} stanzas): ${fmtInt(imported.packages)} packages, ${fmtInt(imported.dependencyClauses)} dependency clauses, ` +
      `${fmtInt(imported.provides)} provides, ${fmtInt(imported.conflicts)} conflicts/breaks, ${imported.skipped.length} stanzas skipped by zpkg`,
  );
  out.push(`${ctx.reps} process runs per side, ${solves} solves per job per run; medians; times inside the process; MB = 10^6 bytes; ${ISSUE_FIGURES}`);
  out.push(`machine: ${os.cpus().length} CPUs; other processes used ${othersShare == null ? 'n/a' : `${(othersShare * 100).toFixed(0)}%`} of its CPU during the runs`);
  if (othersShare != null && othersShare > 0.15) out.push('WARNING: the machine was busy with other work during the runs; the figures are noisy.');
  out.push('');
  out.push(
    formatTable(
      ['load', 'seconds', 'parse', 'index', 'peak RSS MB', 'vs libsolv text'],
      [
        ['libsolv: Packages text (add_debpackages + createwhatprovides)', fmtSeconds(lLoad), fmtSeconds(lp.parse), fmtSeconds(lp.index), mb(lRss), '1.00×'],
        ['zpkg: own catalog, as install loads it (read + decode + buildPool)', fmtSeconds(zLoad), fmtSeconds(zp.parse), fmtSeconds(zp.index), mb(zRss), fmtRatio(zLoad / lLoad)],
        ['zpkg: own catalog, decoded with every check (refresh, repo check)', fmtSeconds(zChecked), fmtSeconds(zChecked), '', '', fmtRatio(zChecked / lLoad)],
        ['libsolv: .solv (add_solv + createwhatprovides)', fmtSeconds(sLoad), fmtSeconds(sp.parse), fmtSeconds(sp.index), mb(sRss), fmtRatio(sLoad / lLoad)],
        ['zpkg: Debian import (importIndexFileTable + buildPool)', fmtSeconds(zimp.total), fmtSeconds(zimp.parse), fmtSeconds(zimp.index), mb(zimp.rssTable), fmtRatio(zimp.total / lLoad)],
        ['zpkg: importIndexFile (plain entries, parse only)', fmtSeconds(zimp.entries), fmtSeconds(zimp.entries), '', '', fmtRatio(zimp.entries / lp.parse)],
      ],
    ),
  );
  out.push(
    `pairs: zpkg catalog vs libsolv text ${fmtRatio(zLoad / lLoad)} (the goal's pair: what each reads to install); zpkg import vs add_debpackages (parse) ${fmtRatio(zimp.parse / lp.parse)}; ` +
      `zpkg catalog vs libsolv .solv ${fmtRatio(zLoad / sLoad)}. install reads a remote's catalog as refresh cached it, checked against its digest and not checked again; ` +
      `"every check" is timed once per process after the jobs. Peak RSS of the solve rows is the whole process (load and every job); the import's is after import + pool.`,
  );
  out.push(
    `zpkg --root IMG install -n build-essential (whole CLI, Node start-up included, ${installRuns.wall.length} runs): ${fmtSeconds(installWall)} s wall, peak ${mb(installRss)} MB, ` +
      `${Array.isArray(installOut?.install) ? installOut.install.length : '?'} packages planned`,
  );
  out.push('');
  out.push(
    formatTable(
      ['job (empty system)', 'libsolv first ms', 'libsolv median ms', 'libsolv chosen', 'zpkg first ms', 'zpkg median ms', 'zpkg chosen', 'zpkg unneeded', 'solve zpkg/libsolv', 'load+first solve zpkg/libsolv'],
      jobRows,
    ),
  );
  out.push(
    'peak RSS is the whole process (load and every job); libsolv ignores recommends, zpkg has none to follow; the packages chosen may differ where alternatives allow; ' +
      '"unneeded": chosen packages that no dependency chain from the request reaches (should be 0).',
  );
  out.push('');
  out.push(formatTable(['installability of every package', 'seconds', 'peak RSS MB', 'uninstallable', 'vs installcheck', 'note'], checkRows, ['left', 'right', 'right', 'right', 'right', 'left']));
  out.push('');
  if (onlyZpkg.length || onlyIc.length) {
    out.push(`zpkg and installcheck disagree on ${onlyZpkg.length + onlyIc.length} packages:`);
    for (const p of onlyZpkg) out.push(`  only zpkg: ${p} — ${keyReason(reasonOf.get(p) ?? [])}`);
    for (const p of onlyIc) out.push(`  only installcheck: ${p}`);
    const foreign = foreignQualifiers(plainBytes.toString('utf8'));
    if (foreign.length) {
      out.push(
        `packages with relations qualified by another architecture, which match nothing in libsolv's amd64 pool (a usual source of disagreement; ${foreign.length}): ${foreign.join(', ')}`,
      );
    }
  } else {
    out.push(`zpkg and installcheck agree: the same ${ic.packages.length} uninstallable packages.`);
  }
  if (doseSet) {
    const d1 = difference(doseSet, ic.packages);
    const d2 = difference(ic.packages, doseSet);
    out.push(d1.length || d2.length ? `dose-distcheck vs installcheck: only dose ${d1.join(', ') || '-'}; only installcheck ${d2.join(', ') || '-'}` : `dose-distcheck agrees with installcheck (${doseSet.length}).`);
  }
  out.push('');
  out.push(formatTable(['goal (issue 3)', 'status', 'detail'], goals.map((g) => [g.goal, g.status.toUpperCase(), g.detail]), ['left', 'left', 'left']));
  if (problems.length) {
    out.push('');
    out.push('problems:');
    for (const p of problems) out.push(`  - ${p}`);
  }
  console.log(out.join('\n'));

  const data = {
    quick: ctx.quick,
    reps: ctx.reps,
    solves_per_run: solves,
    index,
    cpus: os.cpus().length,
    others_cpu_share: round(othersShare),
    import: {
      packages: imported.packages,
      dependency_clauses: imported.dependencyClauses,
      provides: imported.provides,
      conflicts: imported.conflicts,
      skipped: imported.skipped.length,
      seconds: round(imp.seconds),
      peak_rss_kib: imp.maxRssKiB,
    },
    load: {
      libsolv: { median_s: round(lLoad), parse_s: round(lp.parse), index_s: round(lp.index), runs_s: sides.libsolv.out.map((o) => round(o.load.total_s)), peak_rss_kib: lRss },
      libsolv_solv: { median_s: round(sLoad), parse_s: round(sp.parse), index_s: round(sp.index), runs_s: sides.libsolvSolv.out.map((o) => round(o.load.total_s)), peak_rss_kib: sRss },
      zpkg: {
        median_s: round(zLoad),
        parse_s: round(zp.parse),
        index_s: round(zp.index),
        decode_checked_s: round(zChecked),
        runs_s: sides.zpkg.out.map((o) => round(o.load.total_s)),
        peak_rss_kib: zRss,
      },
      zpkg_import: {
        median_s: round(zimp.total),
        parse_s: round(zimp.parse),
        index_s: round(zimp.index),
        entries_s: round(zimp.entries),
        runs_s: imports.map((o) => round(o.load.total_s)),
        peak_rss_kib: zimp.rssTable,
      },
    },
    install_dry_run: { median_s: round(installWall), runs_s: installRuns.wall.map((x) => round(x)), peak_rss_kib: installRss },
    jobs: jobData,
    check: {
      installcheck: { median_s: round(icWall), runs_s: checks.installcheck.wall.map((x) => round(x)), peak_rss_kib: peakKiB(checks.installcheck), uninstallable: ic.packages.length },
      zpkg_cli: { median_s: round(cliWall), runs_s: checks.cli.wall.map((x) => round(x)), peak_rss_kib: peakKiB(checks.cli), uninstallable: zcli.length, timing: cliTiming ?? null },
      zpkg_in_process: { check_median_s: round(inprocCheck), load_median_s: round(inprocLoad), peak_rss_kib: peakKiB(checks.inproc), uninstallable: zin.length },
      dose: doseRun ? { seconds: round(doseRun.seconds), peak_rss_kib: doseRun.maxRssKiB, uninstallable: doseSet?.length ?? null } : null,
      only_zpkg: onlyZpkg,
      only_installcheck: onlyIc,
    },
    goals,
    problems,
  };
  const summary =
    `load zpkg ${fmtSeconds(zLoad)} s / libsolv ${fmtSeconds(lLoad)} s; check zpkg ${fmtSeconds(cliWall)} s / installcheck ${fmtSeconds(icWall)} s; ` +
    `uninstallable zpkg ${zcli.length} / installcheck ${ic.packages.length}`;
  return { summary, goals, data };
}
