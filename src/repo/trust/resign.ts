/**
 * `repo sign` and `repo rotate`: new root metadata for the same content — a
 * fresh expiry (publishers run this before the old one expires), or a new key
 * set. A new key set is signed by the current keys (their threshold) and by the
 * new ones (theirs), and is also kept as `keys/<generation>.json` so clients
 * that trusted the old keys can follow the change.
 */
import { ZpkgError } from '../../core/errors.js';
import type { RepoWriter } from '../backend.js';
import { commitRoot, readRoot } from '../snapshot.js';
import type { SigningKey } from './keys.js';
import { keySetOf, prepareRoot, type KeySet, type Signer } from './sign.js';

export interface ResignOptions {
  /** Current keys (and, when rotating, the new ones too). */
  signer: Signer;
  /** The whole new key set (rotate); every one of them must be in `signer` up to the new threshold. */
  newKeys?: SigningKey[];
  /** New threshold, over `newKeys` or the current keys. */
  threshold?: number;
}

export interface ResignResult {
  location: string;
  version: number;
  keyGeneration: number;
  rotated: boolean;
  keys: string[];
  threshold: number;
  expires: string | null;
}

export async function resignRepo(repo: RepoWriter, options: ResignOptions): Promise<ResignResult> {
  const release = await repo.lock();
  try {
    const previous = await readRoot(repo);
    let next: KeySet | undefined;
    if (options.newKeys?.length) next = keySetOf(options.newKeys, options.threshold ?? 1);
    else if (options.threshold !== undefined) {
      const count = Object.keys(previous.keys).length;
      if (!Number.isSafeInteger(options.threshold) || options.threshold < 1 || options.threshold > count) {
        throw new ZpkgError('E_INPUT_INVALID', `threshold ${options.threshold} must be between 1 and the repository's ${count} keys`);
      }
      next = { keys: previous.keys, threshold: options.threshold };
    }
    const draft = prepareRoot(repo.location, previous, options.signer, next);
    if (draft.keySet.threshold === 0) {
      throw new ZpkgError('E_KEY_REQUIRED', `${repo.location} is an unsigned repository: there is nothing to re-sign`, { hint: `make it signed with \`zpkg repo rotate ${repo.location} --new-key KEY\`` });
    }
    const root = await commitRoot(repo, draft, { catalog: previous.catalog, files: previous.files });
    return {
      location: repo.location,
      version: root.version,
      keyGeneration: root.keyGeneration,
      rotated: draft.rotates,
      keys: Object.keys(root.keys),
      threshold: root.threshold,
      expires: root.expires ?? null,
    };
  } finally {
    await release();
  }
}
