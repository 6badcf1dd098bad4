/**
 * The recipe's `files` selection over a tree's image paths. An entry is
 * dropped when it matches an `exclude` glob, and so is everything below an
 * excluded directory. Otherwise it is kept when there are no `include` globs,
 * when it matches one, or when a directory above it did (an included directory
 * brings its whole subtree); a directory is also kept when something below it
 * is, so every kept path has its parents.
 */
import picomatch from 'picomatch';
import type { FileSelection } from './recipe.js';

/** `candidate`: not chosen by itself; a directory may still be kept for what it holds. */
export type Verdict = 'included' | 'excluded' | 'candidate';

export interface Selector {
  entry(path: string, parentIncluded: boolean): Verdict;
  /** The include globs that chose nothing: a typo, or a build that did not install what the recipe expects. */
  unmatched(): string[];
}

export function selector(sel: FileSelection): Selector {
  const options = { dot: true };
  const excluded = sel.exclude.length ? picomatch(sel.exclude, options) : () => false;
  const includes = sel.include.map((glob) => ({ glob, match: picomatch(glob, options), hits: 0 }));
  return {
    entry(path, parentIncluded) {
      if (excluded(path)) return 'excluded';
      if (parentIncluded || includes.length === 0) return 'included';
      let hit = false;
      for (const inc of includes) {
        if (inc.match(path)) {
          inc.hits += 1;
          hit = true;
        }
      }
      return hit ? 'included' : 'candidate';
    },
    unmatched: () => includes.filter((i) => i.hits === 0).map((i) => i.glob),
  };
}
