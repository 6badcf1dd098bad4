/**
 * Recorded paths as the image's own directory links make them. A merged-/usr
 * image holds `bin` → `usr/bin`, and a Debian package's `bin/bash` lands in
 * `usr/bin/bash`: state.db records `bin/bash`, the disk has `usr/bin/bash`.
 * Questions asked by the disk's name (`owns /usr/bin/bash`, `verify
 * --unowned`) see through such links here — dpkg's `-S` does not, the
 * usrmerge complaint. Resolution is the image's (fs/in-root.ts: an absolute
 * target is the image's root, `..` stops at it), one walk per directory; a
 * path that cannot be resolved has no alias.
 */
import { resolveInRoot } from '../fs/in-root.js';
import { nameOf, parentOf } from '../core/paths.js';

export class PathAliases {
  private readonly dirs = new Map<string, string | null>();

  constructor(private readonly root: string) {}

  /** Where the directory `dir` is in the image once its links are followed (itself when it has none); null when unresolvable. */
  directory(dir: string): string | null {
    if (dir === '') return '';
    let real = this.dirs.get(dir);
    if (real === undefined) {
      try {
        real = resolveInRoot(this.root, dir).inImage;
      } catch {
        real = null;
      }
      this.dirs.set(dir, real);
    }
    return real;
  }

  /** The path of a file (its last component not followed) once its directory's links are followed; null when unresolvable. */
  file(path: string): string | null {
    const dir = this.directory(parentOf(path));
    if (dir === null) return null;
    const name = nameOf(path);
    return dir === '' ? name : `${dir}/${name}`;
  }
}
