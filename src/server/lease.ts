/**
 * The depot's publish lock: one lease at a time, handed out in request order.
 * A lease wraps the repository's own lock file (the same lock local
 * publishers take), and is lost when its holder is silent for `idleMs`, so a
 * client that died mid-publish does not block the depot forever. A holder
 * that is busy for longer (a big pack uploading over a slow link) keeps it by
 * renewing it (`check`): the depot tells it `idleMs` with the lease.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { acquireLock, type Lock } from '../fs/lock.js';

interface Held {
  id: string;
  lock: Lock;
  timer: NodeJS.Timeout;
}

export class LeaseManager {
  private held: Held | undefined;
  private readonly queue: (() => void)[] = [];
  /** Leases granted so far (tests check serialization with it). */
  granted = 0;

  constructor(private readonly dir: string, readonly idleMs = 60_000) {}

  /** Waits until the lease is free, then holds it. */
  async acquire(signal?: AbortSignal): Promise<string> {
    while (this.held) {
      await new Promise<void>((resolve) => this.queue.push(resolve));
      if (signal?.aborted) throw new ZpkgError('E_REPO_LOCKED', 'the client went away while waiting for the publish lock');
    }
    // The repository lock file may be held by a local publisher: wait for it without blocking the event loop.
    let lock: Lock | undefined;
    const placeholder = { id: '', lock: { release() {} }, timer: setTimeout(() => {}, 0) };
    this.held = placeholder;
    try {
      while (!lock) {
        try {
          lock = acquireLock(join(this.dir, '.zpkg-lock'), { noWait: true, code: 'E_REPO_LOCKED', what: `repository ${this.dir}` });
        } catch (err) {
          if (!(err instanceof ZpkgError) || err.code !== 'E_REPO_LOCKED') throw err;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    } catch (err) {
      this.held = undefined;
      this.next();
      throw err;
    }
    const id = randomBytes(16).toString('hex');
    this.held = { id, lock, timer: this.expiry(id) };
    this.granted += 1;
    return id;
  }

  private expiry(id: string): NodeJS.Timeout {
    const t = setTimeout(() => this.release(id), this.idleMs);
    t.unref();
    return t;
  }

  /** True when `id` is the lease in force; renews it. */
  check(id: string | undefined): boolean {
    if (!id || !this.held || this.held.id !== id) return false;
    clearTimeout(this.held.timer);
    this.held.timer = this.expiry(id);
    return true;
  }

  release(id: string): boolean {
    if (!this.held || this.held.id !== id) return false;
    clearTimeout(this.held.timer);
    this.held.lock.release();
    this.held = undefined;
    this.next();
    return true;
  }

  private next(): void {
    this.queue.shift()?.();
  }

  close(): void {
    if (this.held?.id) this.release(this.held.id);
  }
}
