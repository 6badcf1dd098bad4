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

/** The absolute name under which a transaction stages DEST in the image at ROOT. */
export function stagedFile(root: string, dest: string, txid: string): string {
  return hostPath(root, tempName(dest, txid));
}
