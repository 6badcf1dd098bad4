/**
 * Apply: staged files are renamed into place, paths that go are unlinked,
 * directories no package keeps are removed when empty. Every step here is a
 * rename, unlink or rmdir: nothing can run out of space.
 */
import { renameSync } from 'node:fs';
import { chmod, chown, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { dirOwners } from '../image/state.js';
import { forEachLimited } from './pool.js';
import type { Staged } from './stage.js';
import type { Changeset } from './types.js';

export interface Applied {
  removedDirs: string[];
  keptDirs: string[];
}

export async function apply(root: string, db: Database.Database, cs: Changeset, staged: Staged, options: { chown: boolean }): Promise<Applied> {
  const applied: Applied = { removedDirs: [], keptDirs: [] };
  // Declared directories that already existed take the package's attributes when no other package owns them.
  for (const d of cs.dirs) {
    if (d.create || !d.declared) continue;
    if (dirOwners(db, d.path).some((o) => o.package !== d.package)) continue;
    const abs = join(root, d.path);
    if (options.chown) await chown(abs, d.uid, d.gid).catch(() => undefined);
    await chmod(abs, d.mode).catch(() => undefined);
  }
  // Plain synchronous renames: each is one metadata syscall, cheaper than a thread-pool hand-off.
  for (const [dest, tmp] of staged.temps) renameSync(tmp, join(root, dest));
  const putPaths = new Set(cs.put.map((p) => p.dest));
  await forEachLimited(cs.delete, 32, async (f) => {
    if (putPaths.has(f.path)) return;
    await unlink(join(root, f.path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  });
  // A directory goes when its last owner goes and nothing else lives in it; deepest first.
  const staying = new Set(cs.dirs.map((d) => d.path));
  const going = new Set(cs.dropDirs.map((d) => `${d.path}\0${d.package}`));
  const candidates = [...new Set(cs.dropDirs.map((d) => d.path))].filter(
    (path) => !staying.has(path) && dirOwners(db, path).every((o) => going.has(`${o.path}\0${o.package}`)),
  );
  candidates.sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? 1 : -1));
  for (const path of candidates) {
    try {
      await rmdir(join(root, path));
      applied.removedDirs.push(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') applied.keptDirs.push(path);
      else if (code !== 'ENOENT') throw err;
    }
  }
  return applied;
}
