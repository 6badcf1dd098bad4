/**
 * The shape of every changing command: in an image session, build a target
 * (the solver, a list, a generation, verify), `prepare` it, run it. A dry run
 * follows the same path and stops before anything is fetched or written, so
 * every command's dry run shows the same things.
 */
import type { Image } from '../image/image.js';
import { prepare } from './prepare.js';
import { refuseProtectedRemovals } from './protected.js';
import { finishSelfUpdate } from './self-update.js';
import { withImageSession, type SessionOptions } from './session.js';
import { stopwatch } from './stopwatch.js';
import type { Target } from './target.js';
import { runTransaction, type TransactionOptions, type TransactionResult } from './transaction.js';

export interface ChangeOptions extends TransactionOptions, SessionOptions {
  /** The command line, recorded with the transaction. */
  command: string;
  noWait?: boolean;
  /** Let the change remove protected packages (zpkg itself; see protected.ts). */
  allowProtected?: boolean;
}

export async function changeImage(image: Image, options: ChangeOptions, buildTarget: () => Target | Promise<Target>): Promise<TransactionResult> {
  const result = await withImageSession(image, options, async () => {
    const t = stopwatch();
    const target = await buildTarget();
    const solve = t();
    refuseProtectedRemovals(target, options.allowProtected);
    for (const w of target.warnings ?? []) options.report.warn(w);
    const prepared = await prepare(image, target, options);
    const result = await runTransaction(image, prepared, options);
    result.seconds.solve = solve;
    return result;
  });
  // zpkg replaced itself: the new version runs the steps after the commit, outside this session's lock.
  await finishSelfUpdate(result, image.paths.root, options.report);
  return result;
}
