/**
 * New trees: the directories a transaction creates whose parent stands
 * already. Staging builds each one under a hidden name beside it, its files
 * and directories under their own names inside (side-names.ts
 * `StagingNames`), and apply lands it with one rename instead of one per
 * file — as OSTree checks a commit out into a fresh directory. A fresh
 * install of the bench's 20,000-file package made 20,000 renames (~0.25 s of
 * syscalls on this VM's ext4); a reader now sees each new directory whole
 * or not at all, as it sees each file.
 *
 * A directory reached through one of the image's directory links is no
 * tree, nor is one that a path written through such a link lands in (a
 * merged /usr: `lib/x` is `usr/lib/x` on disk): staging through the link
 * would find no directory there, and one directory would land under two
 * names.
 */
import { parentOf } from '../core/paths.js';
import type { DirOp } from './types.js';

/**
 * The trees of a changeset's directories. `real` gives a path's place on disk
 * once the image's directory links are followed (null when it cannot be
 * resolved); `throughLinks` are the paths the changeset writes with a link
 * among their parents.
 */
export function newTrees(dirs: readonly DirOp[], real: (path: string) => string | null, throughLinks: Iterable<string>): string[] {
  const created = new Set<string>();
  for (const d of dirs) if (d.create) created.add(d.path);
  const trees = new Set<string>();
  for (const path of created) if (!created.has(parentOf(path)) && real(path) === path) trees.add(path);
  if (trees.size === 0) return [];
  for (const path of throughLinks) {
    const onDisk = real(path);
    // Where it lands cannot be told: no directory is staged apart.
    if (onDisk === null) return [];
    for (let i = onDisk.indexOf('/'); ; i = onDisk.indexOf('/', i + 1)) {
      trees.delete(i < 0 ? onDisk : onDisk.slice(0, i));
      if (i < 0) break;
    }
  }
  return [...trees].sort();
}
