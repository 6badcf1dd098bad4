/** The errors more than one step of a transaction raises, each built here only. */
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';

/** A blob a package delivers is not in its repository (fetch) or not in the content cache (stage). */
export function blobMissing(digest: Digest | string, path: string, pkg: string): ZpkgError {
  return new ZpkgError('E_BLOB_MISSING', `blob ${digest} for \`${path}\` (${pkg}) is missing from the repository`, {
    hint: 'nothing was changed; check the repository with `zpkg repo verify`',
    details: { digest, path, package: pkg },
  });
}

/** The image's filesystem is full; `doing` says what was being written. Raised before the first change, so nothing changed. */
export function noSpace(doing: string): ZpkgError {
  return new ZpkgError('E_NO_SPACE', `no space left on the image's filesystem ${doing}; nothing was changed`, {
    hint: 'free some space (`zpkg gc` trims the content cache) and run the command again',
  });
}
