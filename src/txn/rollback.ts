/**
 * `rollback`: the image returns to an earlier generation — exactly its package
 * set, versions, manifests and flags — as a new transaction. Every committed
 * transaction (with or without errors after its commit) left a generation; the
 * default is the one before the current, and 0 is the empty image. The
 * manifests and blobs come from the image cache when it holds them, so a
 * rollback works without the network.
 */
import type { Image } from '../image/image.js';
import { changeImage, type ChangeOptions } from './change.js';
import { findGeneration, generationTarget } from './generation.js';
import type { TransactionResult } from './transaction.js';

export { findGeneration, generationTarget, type Generation } from './generation.js';

export async function rollback(image: Image, n: number | undefined, options: ChangeOptions): Promise<TransactionResult & { generation: number }> {
  let id = 0;
  const result = await changeImage(image, options, () => {
    const g = findGeneration(image, n);
    id = g.id;
    return generationTarget(image, g, options.command);
  });
  return { ...result, generation: id };
}
