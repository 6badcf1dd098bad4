/**
 * What ran around committed transactions (hooks and service operations) and
 * the problems they left: rows of `lifecycle`, the history row's status and
 * the `problem` of each package a failure concerns.
 */
import type Database from 'better-sqlite3';

export type LifecycleStatus = 'ok' | 'failed' | 'timeout' | 'skipped' | 'protected';

export interface LifecycleRow {
  kind: 'hook' | 'service';
  package: string | null;
  /** The hook's phase, or the service's name. */
  name: string;
  /** The phase, or stop | start | reload | monitor | forget. */
  action: string;
  status: LifecycleStatus;
  detail: string | null;
  seconds: number | null;
  output: string | null;
}

/** Records the lifecycle of history row `historyId`; marks it committed-with-errors and sets package problems when something failed. */
export function recordLifecycle(db: Database.Database, historyId: number, rows: readonly LifecycleRow[]): void {
  const insert = db.prepare('INSERT INTO lifecycle (history_id, seq, kind, package, name, action, status, detail, seconds, output) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const problem = db.prepare('UPDATE packages SET problem = ? WHERE name = ?');
  db.transaction(() => {
    let seq = (db.prepare('SELECT COALESCE(MAX(seq), 0) FROM lifecycle WHERE history_id = ?').pluck().get(historyId) as number) + 1;
    let failed = false;
    for (const r of rows) {
      insert.run(historyId, seq++, r.kind, r.package, r.name, r.action, r.status, r.detail, r.seconds, r.output);
      if (r.status !== 'failed' && r.status !== 'timeout') continue;
      failed = true;
      if (r.package) problem.run(`${r.kind === 'hook' ? `${r.action} hook` : `service ${r.name} ${r.action}`} ${r.status === 'timeout' ? 'timed out' : 'failed'} in transaction ${historyId}${r.detail ? `: ${r.detail}` : ''}`, r.package);
    }
    if (failed) db.prepare("UPDATE history SET status = 'committed-with-errors' WHERE id = ?").run(historyId);
  })();
}

export function listLifecycle(db: Database.Database, historyId: number): LifecycleRow[] {
  return db.prepare('SELECT kind, package, name, action, status, detail, seconds, output FROM lifecycle WHERE history_id = ? ORDER BY seq').all(historyId) as LifecycleRow[];
}

export function packageProblems(db: Database.Database): { name: string; problem: string }[] {
  return db.prepare('SELECT name, problem FROM packages WHERE problem IS NOT NULL ORDER BY name').all() as { name: string; problem: string }[];
}
