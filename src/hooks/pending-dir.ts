/**
 * Where an image keeps its pending lifecycles (hooks/lifecycle.ts writes one
 * per transaction whose post-hooks and service starts have not all run), and
 * which are there: what `verify` reports, without loading the machinery that
 * resumes them (txn/resume.ts).
 */
import { readdirSync } from 'node:fs';
import { STATE_DIR } from '../core/paths.js';
import { dirInRoot } from '../fs/in-root.js';

export const PENDING_DIR = `${STATE_DIR}/lifecycle`;

/** The directory of pending lifecycles, resolved in the image. */
export function pendingDir(root: string): string {
  return dirInRoot(root, PENDING_DIR, { what: `the pending lifecycles ${PENDING_DIR}` });
}

/** Transaction ids whose lifecycle is pending. */
export function pendingLifecycles(root: string): string[] {
  try {
    return readdirSync(pendingDir(root))
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .map((n) => n.slice(0, -5));
  } catch {
    return [];
  }
}
