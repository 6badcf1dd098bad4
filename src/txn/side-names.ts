/**
 * The hidden names a transaction gives the files it stages and backs up,
 * beside each image path. Their own module because the stage worker derives
 * a staged file's name itself: the main thread hands it image paths only,
 * rather than holding and posting an absolute temporary path per file.
 */
import { createHash } from 'node:crypto';
import { hostPath } from '../core/paths.js';

/** The longest file name Linux filesystems take (NAME_MAX, in bytes). */
export const NAME_MAX = 255;

/**
 * A hidden name beside DEST: `.NAME` + suffix, or, when that would pass
 * NAME_MAX (a legitimate 250-byte name), `.` + a digest of NAME + suffix —
 * derived from DEST alone, so recovery finds it again from the journal.
 */
function beside(dest: string, suffix: string): string {
  // DEST is an image path (core/paths.ts): sliced at its last `/`, not parsed again.
  const cut = dest.lastIndexOf('/') + 1;
  const base = dest.slice(cut);
  let name = `.${base}${suffix}`;
  if (name.length * 3 > NAME_MAX && Buffer.byteLength(name) > NAME_MAX) name = `.${createHash('sha256').update(base).digest('hex').slice(0, 32)}${suffix}`;
  return dest.slice(0, cut) + name;
}

export function tempName(dest: string, txid: string): string {
  return beside(dest, `.zpkg-${txid}`);
}

export function backupName(dest: string, txid: string): string {
  return beside(dest, `.zpkg-old-${txid}`);
}

/**
 * Where a transaction stages each image path. A path beside which nothing
 * else is new is staged beside itself (`tempName`). A path inside one of the
 * transaction's new trees (txn/new-trees.ts: a directory it creates whose
 * parent stands already) is staged under its own name inside the tree's
 * hidden name, so that one rename lands the whole tree. Derived from the
 * txid and the trees alone, which the journal holds, so recovery finds every
 * staged path again.
 */
export class StagingNames {
  private readonly trees: ReadonlySet<string>;

  constructor(
    readonly txid: string,
    trees: readonly string[] = [],
  ) {
    this.trees = new Set(trees);
  }

  /** The new tree holding PATH (PATH itself when it is one); undefined outside them. */
  treeOf(path: string): string | undefined {
    if (this.trees.size === 0) return undefined;
    for (let i = path.indexOf('/'); ; i = path.indexOf('/', i + 1)) {
      const prefix = i < 0 ? path : path.slice(0, i);
      if (this.trees.has(prefix)) return prefix;
      if (i < 0) return undefined;
    }
  }

  /** The image path a put for DEST is staged at. */
  file(dest: string): string {
    const tree = this.treeOf(dest);
    return tree === undefined ? tempName(dest, this.txid) : tempName(tree, this.txid) + dest.slice(tree.length);
  }

  /** The image path a directory the transaction creates is made at: inside its tree's hidden name, else itself. */
  dir(path: string): string {
    const tree = this.treeOf(path);
    return tree === undefined ? path : tempName(tree, this.txid) + path.slice(tree.length);
  }
}

/** The absolute name under which a transaction stages DEST in the image at ROOT. */
export function stagedFile(root: string, dest: string, names: StagingNames): string {
  return hostPath(root, names.file(dest));
}
