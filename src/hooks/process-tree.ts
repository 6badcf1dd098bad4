/**
 * The processes a hook started, found in /proc: its session and process
 * group (a hook runs as the leader of both), and every descendant of it or of
 * them — which catches a daemon that called setsid(2) while its parent still
 * lives. A process that left the session and was orphaned before the scan
 * escapes (only a cgroup or a PID namespace would hold it). Linux only;
 * elsewhere the set is just the leader.
 */
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
}

function readStat(pid: string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // comm (field 2) may hold spaces and parentheses: the fields after it follow the last ')'.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid: Number(pid), ppid: Number(rest[1]), pgrp: Number(rest[2]), session: Number(rest[3]) };
  } catch {
    return undefined;
  }
}

/** Every live process of the session led by `leader`, in its group, or descending from either. */
export function processTree(leader: number): Set<number> {
  const found = new Set<number>([leader]);
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return found;
  }
  const stats = entries.map(readStat).filter((s): s is ProcStat => s !== undefined && s.pid !== process.pid);
  for (const s of stats) if (s.session === leader || s.pgrp === leader) found.add(s.pid);
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const queue = [...found];
  while (queue.length) {
    for (const child of children.get(queue.pop()!) ?? []) {
      if (!found.has(child)) {
        found.add(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Sends `signal` to the process group of `leader` and to each process in `pids`; gone ones are skipped. */
export function signalAll(leader: number, pids: Iterable<number>, signal: NodeJS.Signals): void {
  const send = (target: number): void => {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  };
  send(-leader);
  for (const pid of pids) send(pid);
}
