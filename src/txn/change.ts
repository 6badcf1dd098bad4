/**
 * The shape of every changing command: in an image session, build a target
 * (the solver, a list, a generation, verify), `prepare` it, run it. A dry run
 * follows the same path and stops before anything is fetched or written, so
 * every command's dry run shows the same things. A transaction whose
 * post-phase fails under `--rollback-on-failure` is rolled back here
 * (auto-rollback.ts) and the command fails with E_ROLLED_BACK.
 */
import type { Image } from '../image/image.js';
import { rolledBack, runAutomaticRollback } from './auto-rollback.js';
import { leftAloneWarnings } from './changeset.js';
import { keepDownloads, requireCached } from './offline.js';
import { prepare } from './prepare.js';
import { checkProtected } from './protect.js';
import { finishSelfUpdate } from './self-update.js';
import { withImageSession, type SessionOptions } from './session.js';
import { stopwatch } from './stopwatch.js';
import type { Target } from './target.js';
import { describe, runTransaction, type TransactionOptions, type TransactionResult } from './transaction.js';

export interface ChangeOptions extends TransactionOptions, SessionOptions {
  /** The command line, recorded with the transaction. */
  command: string;
  noWait?: boolean;
  /** Let the change remove protected packages (protect.ts). */
  allowProtected?: boolean;
}

export async function changeImage(image: Image, options: ChangeOptions, buildTarget: () => Target | Promise<Target>): Promise<TransactionResult> {
  if (!options.offline) return change(image, options, buildTarget);
  // Offline for this transaction only: a library caller may use the same image online afterwards.
  const before = image.offline;
  image.offline = true;
  try {
    return await change(image, options, buildTarget);
  } finally {
    image.offline = before;
  }
}

async function change(image: Image, options: ChangeOptions, buildTarget: () => Target | Promise<Target>): Promise<TransactionResult> {
  const result = await withImageSession(image, options, async () => {
    const t = stopwatch();
    const target = await buildTarget();
    const solve = t();
    for (const w of target.warnings ?? []) options.report.warn(w);
    checkProtected(image, target, Boolean(options.allowProtected));
    if (options.offline) requireCached(image, target);
    // Staging begins while packs download, unless only fetching (see prepare's `overlap`).
    const prepared = await prepare(image, target, { ...options, overlap: !options.dryRun && !options.downloadOnly });
    for (const w of leftAloneWarnings(prepared.changeset)) options.report.warn(w);
    if (options.downloadOnly && !options.dryRun) {
      keepDownloads(prepared);
      const described = describe(prepared, false);
      described.seconds.solve = solve;
      return { ...described, downloadOnly: true };
    }
    const { failedPostPhase, ...result } = await runTransaction(image, prepared, options);
    result.seconds.solve = solve;
    if (failedPostPhase && result.id !== null) {
      const order = { from: result.id, to: failedPostPhase.before, causes: failedPostPhase.causes, wasRunning: failedPostPhase.lifecycle.wasRunning(), command: options.command };
      const back = await runAutomaticRollback(image, order, options);
      failedPostPhase.lifecycle.dropPending();
      throw rolledBack(order, result, back);
    }
    return result;
  });
  // zpkg replaced itself: the new version runs the steps after the commit, outside this session's lock.
  await finishSelfUpdate(result, image.paths.root, options.report);
  return result;
}
