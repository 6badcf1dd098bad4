/**
 * The automatic rollback (`--rollback-on-failure`, `on-failure: rollback`): a
 * transaction committed, then a post-hook failed or a started service did not
 * come up. Its pending lifecycle was rewritten (durably) to say that the image
 * goes back to the generation before it; then that generation's target runs
 * as a transaction of its own — journal, commit, history row — with services
 * restored as they were before the failed one. Only then is the pending
 * record dropped. An interruption anywhere leaves the failed generation or
 * the one before, never a mix (each is one transaction), and recovery carries
 * the rollback through (resume.ts).
 */
import { ZpkgError } from '../core/errors.js';
import type { Image } from '../image/image.js';
import { listHistory } from '../image/state.js';
import type { Report } from '../report/report.js';
import { findGeneration, generationTarget } from './generation.js';
import { prepare } from './prepare.js';
import { runTransaction, type TransactionOptions, type TransactionResult } from './transaction.js';
import { counted } from '../report/table.js';

export interface RollbackOrder {
  /** The failed transaction (its history row). */
  from: number;
  /** The generation to return to (0: the empty image). */
  to: number;
  causes: string[];
  /** Whether services were up before the failed transaction. */
  wasRunning: readonly [string, boolean][];
  command: string;
}

/** Runs the rollback; the caller holds the image session. Returns its result (the caller drops the failed transaction's pending record). */
export async function runAutomaticRollback(image: Image, order: RollbackOrder, options: Omit<TransactionOptions, 'dryRun'> & { report: Report }): Promise<TransactionResult> {
  options.report.warn(`transaction ${order.from} failed after its commit (${order.causes.join('; ')}); rolling the image back to generation ${order.to}`);
  const target = generationTarget(image, findGeneration(image, order.to), `${order.command} (automatic rollback of transaction ${order.from})`);
  const prepared = await prepare(image, target, { report: options.report });
  const { failedPostPhase: _ignored, ...result } = await runTransaction(image, prepared, { ...options, dryRun: false, rollbackOnFailure: false, wasRunning: order.wasRunning });
  return result;
}

/** Whether the failed transaction is still the current generation (else its rollback, or something later, committed). */
export function stillCurrent(image: Image, from: number): boolean {
  return listHistory(image.db).at(-1)?.id === from;
}

/** The error a rolled-back command ends with: the causes, and both transactions. */
export function rolledBack(order: RollbackOrder, failed: Omit<TransactionResult, 'failedPostPhase'> | undefined, rollback: TransactionResult): ZpkgError {
  const rollbackErrors = rollback.lifecycle?.errors ?? 0;
  return new ZpkgError(
    'E_ROLLED_BACK',
    `transaction ${order.from} failed after its commit: ${order.causes[0] ?? 'a post-hook or service start failed'}${order.causes.length > 1 ? ` (and ${order.causes.length - 1} more)` : ''}; the image was rolled back to generation ${order.to} (transaction ${rollback.id})${rollbackErrors ? `, and the rollback itself had ${counted(rollbackErrors, 'error')}` : ''}`,
    {
      hint: `both transactions are in \`zpkg history\`; see \`zpkg history ${order.from}\` for what failed`,
      details: { explanation: order.causes, failed: failed ?? { id: order.from }, rollback },
    },
  );
}
