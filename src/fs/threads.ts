/**
 * How many threads zpkg's worker pools use — staging, verify, and a build's
 * hashing and compressing: every core unless `--threads N` (or ZPKG_THREADS)
 * says otherwise. Each worker thread is a whole V8 isolate, about 15 MB
 * resident: on a node whose root is a RAM filesystem and that has many
 * cores, a limit bounds what one transaction holds. Set once, by the command
 * line, before a command runs.
 */
import { availableParallelism } from 'node:os';

/** The most a limit may name: far beyond any core count, small enough that a typo is caught. */
export const MAX_THREADS = 256;

let limit: number | undefined;

/** Sets (a whole number from 1 to MAX_THREADS) or clears the limit. */
export function setThreadLimit(n: number | undefined): void {
  limit = n;
}

/** Threads a pool may use: the limit when set (it may exceed the cores: reads that wait on a disk overlap), else the cores. */
export function threadBudget(): number {
  return limit ?? availableParallelism();
}

/** The limit `--threads` or ZPKG_THREADS set, if any: a pool may grow past the cores only when none was set. */
export function threadLimit(): number | undefined {
  return limit;
}
