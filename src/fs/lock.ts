/**
 * An exclusive lock held through SQLite's own file locking (fcntl): the kernel
 * releases it when the holder dies, so a `kill -9` never leaves a stale lock.
 * Readers of WAL databases are never blocked by it.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZpkgError, type ErrorCode } from '../core/errors.js';

export interface Lock {
  release(): void;
}

export interface LockOptions {
  /** Fail at once instead of waiting for the holder. */
  noWait?: boolean;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: () => void;
  /** Give up after this many milliseconds (default: wait forever). */
  timeoutMs?: number;
  code: ErrorCode;
  what: string;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function acquireLock(path: string, options: LockOptions): Lock {
  mkdirSync(dirname(path), { recursive: true });
  // No busy timeout: waiting is ours to do, with a message; no pragmas: they would need the lock themselves.
  const db = new Database(path, { timeout: 0 });
  const started = Date.now();
  let warned = false;
  for (;;) {
    try {
      db.exec('BEGIN EXCLUSIVE');
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') {
        db.close();
        throw err;
      }
      if (options.noWait || (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs)) {
        db.close();
        throw new ZpkgError(options.code, `${options.what} is locked by another zpkg process`, {
          hint: options.noWait ? 'wait for it to finish, or run without --no-wait to wait' : undefined,
        });
      }
      if (!warned) {
        warned = true;
        options.onWait?.();
      }
      sleep(100);
    }
  }
  return {
    release: () => {
      if (!db.open) return;
      db.exec('ROLLBACK');
      db.close();
    },
  };
}
