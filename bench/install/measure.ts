/**
 * Phase 2 of `install`: the timed runs.
 * Each measurement installs into a fresh, empty target. Before it: `sync`, drop
 * the page cache (when permitted; not for a warm row, which runs right after
 * its cold twin and so reads its input from the cache), then warm the tool's own program
 * (`--version`/`--help`) so the run reads its *input* cold but does not pay for
 * paging in its executable. After it, a timed `sync` shows how much writeback
 * the run left behind. Every measurement is repeated `reps` times, interleaved
 * across tools. Wall time is our clock around the spawn; peak RSS and CPU come
 * from `/usr/bin/time`. Before the timed runs, one untimed run of each under
 * strace counts its sync calls (durability.ts).
 */
import os from 'node:os';
import { join } from 'node:path';
import { dropCaches, Leftovers, machineBusySeconds, run, syncNow, timed, which } from '../proc.js';
import { fmtSeconds, round } from '../table.js';
import { countSyncCalls } from './durability.js';
import { WARM_PROGRAMS, type Bench, type Measure, type Measured, type Prepared } from './types.js';

export async function measure(b: Bench, p: Prepared): Promise<Measured> {
  const { ctx } = b;
  const targetsDir = join(ctx.workDir, 't');
  const targetOf = (m: Measure, rep: number | string): string => join(targetsDir, `${m.id}-${rep}`);
  const active = (): Measure[] => p.measures.filter((m) => !m.failed);
  const fail = (m: Measure, why: string): void => {
    m.failed = why;
    b.problems.push(why);
  };

  // Targets are removed only after the last timed run (Leftovers: a run right after a removal pays for it on this disk).
  const spent = new Leftovers();
  // Durability, counted: one untimed run of each under strace -f -c.
  if (which('strace')) {
    for (const m of active()) {
      if (m.twin) continue; // the same command as its twin
      ctx.log(`counting sync calls: ${m.label} under strace -f -c`);
      const target = targetOf(m, 'strace');
      try {
        await m.prepare(target);
        m.syncCounts = await countSyncCalls(m.command(target));
      } catch (e) {
        m.failed = (e as Error).message;
        b.problems.push(`${m.label}: ${m.failed}`);
      }
      spent.add(target);
    }
    for (const m of p.measures) if (m.twin) m.syncCounts = p.measures.find((x) => x.id === m.twin)?.syncCounts;
  }

  // Timed runs, interleaved.
  const loadBefore = loadAverage();
  let cacheDropped = true;
  for (let rep = 0; rep < ctx.reps; rep++) {
    for (const m of active()) {
      const target = targetOf(m, rep);
      try {
        await m.prepare(target);
      } catch (e) {
        m.failed = (e as Error).message;
        b.problems.push(`${m.label}: ${m.failed}`);
        continue;
      }
      // A warm row runs right after its cold twin: its input is in the page cache.
      if (m.cache !== 'warm') cacheDropped = dropCaches() && cacheDropped;
      if (WARM_PROGRAMS) await run(...m.warm);
      syncNow();
      const busy0 = machineBusySeconds();
      const r = await timed(...m.command(target));
      const busy1 = machineBusySeconds();
      const syncAfter = syncNow();
      if (r.code !== 0) {
        fail(m, b.failure(r));
        continue;
      }
      const steps = m.steps?.(r.stdout);
      if (m.steps && !steps) b.problems.push(`${m.label}: run ${rep + 1} printed no step seconds (its --json result)`);
      m.samples.push({
        ...(steps ? { steps } : {}),
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
      if (rep < ctx.reps - 1) spent.add(target);
    }
  }
  const loadAfter = loadAverage();
  spent.removeAll();
  if (!cacheDropped) ctx.log('could not drop the page cache (not root?): runs may read warm input');
  return { loadBefore, loadAfter, cacheDropped, targetOf, targetsDir };
}

function loadAverage(): number {
  return round(os.loadavg()[0], 2) ?? 0;
}
