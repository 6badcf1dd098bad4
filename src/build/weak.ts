/** Weak relations of a manifest built from a recipe or a .deb. */
import type { Manifest } from '../core/manifest.js';
import { formatClause, parseClause } from '../core/relation.js';

/** `recommends` / `suggests` of a manifest, normalised, each only when not empty (a manifest without them keeps the digest it always had). */
export function weakRelations(recommends: readonly string[], suggests: readonly string[]): Pick<Manifest, 'recommends' | 'suggests'> {
  const norm = (l: readonly string[]): string[] => [...new Set(l.map((d) => formatClause(parseClause(d))))];
  return { ...(recommends.length ? { recommends: norm(recommends) } : {}), ...(suggests.length ? { suggests: norm(suggests) } : {}) };
}
