/**
 * What `zpkg recover` would do, read without doing it (`recover -n`; dpkg's
 * `--audit` lists what an interruption left): each interrupted transaction's
 * journal — finished when its commit is in state.db, else undone — and each
 * lifecycle left pending. Read under the image lock, so a transaction in
 * flight is never taken for an interrupted one; nothing is changed, and a
 * record that cannot be read is named, not dropped.
 */
import { pendingDir } from '../hooks/pending-dir.js';
import { lockImage, type Image } from '../image/image.js';
import { historyIdOf } from '../image/state.js';
import { stillCurrent } from './auto-rollback.js';
import { pendingJournals } from './journal.js';
import { peekPending } from './resume.js';

export interface JournalPlan {
  txid: string;
  command: string;
  startedAt: string;
  /** `finish`: its commit is in state.db, so backups and leftovers go; `undo`: every path goes back as it was. */
  action: 'finish' | 'undo';
  /** Paths it writes and paths it deletes. */
  puts: number;
  deletes: number;
}

export interface LifecyclePlan {
  txid: string;
  /**
   * `finish`: the committed transaction's post-hooks run and its services
   * start; `restart`: the services a rolled-back one stopped start again;
   * `roll back`: the image goes back to generation `to` (a post-phase that
   * failed under --rollback-on-failure); `drop`: that rollback committed
   * already, only the record goes.
   */
  action: 'finish' | 'restart' | 'roll back' | 'drop';
  postHooks: number;
  services: string[];
  to?: number;
  /** Under --rollback-on-failure: a failing post-phase rolls back. */
  rollbackOnFailure: boolean;
}

export interface RecoveryPlan {
  dryRun: true;
  journals: JournalPlan[];
  lifecycles: LifecyclePlan[];
  /** Pending lifecycle records that cannot be read (recovery drops them with a warning). */
  unreadable: { path: string; error: string }[];
}

export function planRecovery(image: Image, options: { noWait?: boolean; onWait?: () => void } = {}): RecoveryPlan {
  const lock = lockImage(image, options);
  try {
    const journals = pendingJournals(image.paths.work).map((j): JournalPlan => ({
      txid: j.txid,
      command: j.command,
      startedAt: j.startedAt,
      action: historyIdOf(image.db, j.txid) !== undefined ? 'finish' : 'undo',
      puts: j.puts.length,
      deletes: j.deletes.length,
    }));
    const lifecycles: LifecyclePlan[] = [];
    const unreadable: RecoveryPlan['unreadable'] = [];
    for (const r of peekPending(pendingDir(image.paths.root))) {
      if (!r.pending) {
        unreadable.push({ path: r.path, error: r.error ?? 'unreadable' });
        continue;
      }
      const p = r.pending;
      // As resumeLifecycles decides (txn/resume.ts): by whether the transaction committed, and a rollback order's generation.
      const committed = historyIdOf(image.db, p.txid) !== undefined;
      const base = { txid: p.txid, rollbackOnFailure: Boolean(p.rollbackOnFailure) };
      if (p.rollback && committed) {
        if (stillCurrent(image, p.rollback.from)) lifecycles.push({ ...base, action: 'roll back', to: p.rollback.to, postHooks: 0, services: [] });
        else lifecycles.push({ ...base, action: 'drop', to: p.rollback.to, postHooks: 0, services: [] });
      } else if (committed) lifecycles.push({ ...base, action: 'finish', postHooks: p.post.length, services: p.services.filter((s) => s.after).map((s) => s.name) });
      else lifecycles.push({ ...base, action: 'restart', postHooks: 0, services: [...p.stopped, ...(p.forgotten ?? []).filter((n) => !p.stopped.includes(n))] });
    }
    return { dryRun: true, journals, lifecycles, unreadable };
  } finally {
    lock.release();
  }
}
