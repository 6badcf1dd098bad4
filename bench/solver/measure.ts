/**
 * Phase 2 of `solver`: every side runs as its own process, so its peak RSS is
 * its own; each process is run `reps` times, the sides interleaved.
 * - Solving: libsolv from the Packages text and from its .solv
 *   (bench/libsolv.py), zpkg from its catalog (dist/bench/solver-zpkg.js); each
 *   process loads once and solves each of JOBS `solves` times. Load and solve
 *   times are measured inside the processes (interpreter start-up excluded).
 * - zpkg's Debian import (solver-zpkg.js `import`), and `zpkg install -n
 *   build-essential` through the whole CLI (Node start-up included).
 * - Installability of every package: installcheck, `zpkg repo check` (the
 *   whole CLI), checkInstallable in process; dose-distcheck once at the end.
 */
import os from 'node:os';
import { machineBusySeconds, tailLines, timed, type TimedResult } from '../proc.js';
import { fmtSeconds } from '../table.js';
import { parseJson } from './json.js';
import { addRun, mb, ms, newRuns } from './runs.js';
import { JOBS, PYTHON, SOLVES_PER_PROCESS, type Bench, type CheckOutput, type CliCheck, type ImportOutput, type Measured, type Prepared, type SolveOutput } from './types.js';

export async function measure(b: Bench, p: Prepared): Promise<Measured> {
  const { ctx } = b;
  const node = process.execPath;
  let measuredCpu = 0;
  let measuredWall = 0;
  const account = (r: TimedResult): void => {
    measuredCpu += (r.userSeconds ?? 0) + (r.systemSeconds ?? 0);
    measuredWall += r.seconds;
  };

  // Solving, the sides interleaved; libsolv also from its .solv file.
  const solves = Math.max(SOLVES_PER_PROCESS, ctx.reps);
  const sides: Measured['sides'] = {
    libsolv: { out: [], runs: newRuns() },
    libsolvSolv: { out: [], runs: newRuns() },
    zpkg: { out: [], runs: newRuns() },
  };
  const busy0 = machineBusySeconds();
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const side of ['libsolv', 'zpkg', 'libsolvSolv'] as const) {
      const jobArgs = ['--jobs', JOBS.join(','), '--reps', String(solves)];
      const [cmd, args] =
        side === 'zpkg' ? [node, [b.zpkgSide, 'solve', p.repo, ...jobArgs]] : [PYTHON, [b.libsolvPy, 'solve', side === 'libsolv' ? p.plain : p.solvFile, ...jobArgs]];
      const r = await timed(cmd, args);
      if (r.code !== 0) throw new Error(`${side} solve process failed (exit ${r.code}): ${tailLines(r.stderr, 10)}`);
      const out = parseJson<SolveOutput>(r, `${side} solve process`);
      sides[side].out.push(out);
      addRun(sides[side].runs, r);
      account(r);
      ctx.log(`run ${rep + 1}/${ctx.reps} ${side}: load ${fmtSeconds(out.load.total_s)} s, ${out.jobs.map((j) => `${j.name} ${ms(j.median_s)} ms`).join(', ')}, peak ${mb(r.maxRssKiB)} MB`);
    }
  }

  // The Debian import, and `install -n` through the whole CLI.
  const imports: ImportOutput[] = [];
  const installRuns = newRuns();
  let installOut: Measured['installOut'];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const im = await timed(node, [b.zpkgSide, 'import', p.plain]);
    if (im.code !== 0) throw new Error(`zpkg import process failed (exit ${im.code}): ${tailLines(im.stderr, 10)}`);
    imports.push(parseJson<ImportOutput>(im, 'zpkg import process'));
    const inst = await timed(node, [b.zpkgBin, '--root', p.image, '--json', 'install', '-n', 'build-essential']);
    if (inst.code !== 0) throw new Error(`zpkg install -n failed (exit ${inst.code}): ${tailLines(inst.stderr || inst.stdout, 10)}`);
    installOut = parseJson(inst, 'zpkg install -n');
    addRun(installRuns, inst);
    account(im);
    account(inst);
    ctx.log(`run ${rep + 1}/${ctx.reps} import: importIndexFileTable ${fmtSeconds(imports.at(-1)!.load.parse_s)} s; install -n build-essential ${fmtSeconds(inst.seconds)} s wall`);
  }

  // Installability of every package.
  const checks = { installcheck: newRuns(), cli: newRuns(), inproc: newRuns() };
  let installcheckOut = '';
  let cliOut: CliCheck | undefined;
  const inproc: CheckOutput[] = [];
  for (let rep = 0; rep < ctx.reps; rep++) {
    const ic = await timed(p.installcheck, ['amd64', p.solvFile]);
    if (ic.code !== 0 && ic.code !== 1) throw new Error(`installcheck failed (exit ${ic.code}): ${tailLines(ic.stderr, 10)}`);
    installcheckOut = ic.stdout;
    addRun(checks.installcheck, ic);
    const cli = await timed(node, [b.zpkgBin, '--json', 'repo', 'check', p.repo]);
    if (cli.code !== 0 && cli.code !== 1) throw new Error(`zpkg repo check failed (exit ${cli.code}): ${tailLines(cli.stderr || cli.stdout, 10)}`);
    cliOut = parseJson(cli, 'zpkg repo check');
    addRun(checks.cli, cli);
    const ip = await timed(node, [b.zpkgSide, 'check', p.repo]);
    if (ip.code !== 0) throw new Error(`zpkg check process failed (exit ${ip.code}): ${tailLines(ip.stderr, 10)}`);
    inproc.push(parseJson<CheckOutput>(ip, 'zpkg check process'));
    addRun(checks.inproc, ip);
    for (const r of [ic, cli, ip]) account(r);
    ctx.log(`run ${rep + 1}/${ctx.reps} check: installcheck ${fmtSeconds(ic.seconds)} s, zpkg repo check ${fmtSeconds(cli.seconds)} s, checkInstallable ${fmtSeconds(inproc.at(-1)!.check_s)} s`);
  }
  const busy1 = machineBusySeconds();
  const othersShare = busy0 == null || busy1 == null || measuredWall === 0 ? null : Math.max(0, busy1 - busy0 - measuredCpu) / (measuredWall * os.cpus().length);

  let doseRun: TimedResult | null = null;
  if (p.dose) {
    ctx.log('dose-distcheck -f --summary (once)');
    doseRun = await timed(p.dose, ['-f', '--summary', `deb://${p.plain}`]);
    if (doseRun.code !== 0 && doseRun.code !== 1) {
      b.problems.push(`dose-distcheck exited ${doseRun.code}: ${tailLines(doseRun.stderr, 5)}`);
      doseRun = null;
    }
  }
  return { solves, sides, imports, installRuns, installOut, checks, installcheckOut, cliOut, inproc, othersShare, doseRun };
}
