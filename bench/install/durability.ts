/**
 * Durability is not guessed: one extra, untimed run of each tool under
 * `strace -f -c` counts its fsync / fdatasync / syncfs / sync calls.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describeExit, run, tailLines } from '../proc.js';
import { fmtInt } from '../table.js';
import type { Command, SyncCounts } from './types.js';

const SYNC_CALLS = ['fsync', 'fdatasync', 'syncfs', 'sync', 'sync_file_range'] as const;

/** Runs the command once under `strace -f -c` and counts its sync-family system calls. */
export async function countSyncCalls([cmd, args]: Command): Promise<SyncCounts> {
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
