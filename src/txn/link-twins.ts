/**
 * Two image paths that are one file on disk through the image's directory
 * links: on a merged /usr (`bin` → `usr/bin`) a package's `bin/foo` and
 * another's (or its next version's) `usr/bin/foo`. Debian moves files from
 * /bin to /usr/bin between releases (DEP17); dpkg, seeing two names, lets
 * the second package overwrite the first one's file and then deletes it
 * with the first package — the file is lost. The plan asks here instead:
 * a put whose twin an installed package keeps is a conflict, a put whose
 * twin goes is a move, and a path whose twin stays (or lands) is not
 * deleted on disk.
 */
import type { FileRow } from '../image/state.js';
import type { PathAliases } from '../image/path-aliases.js';
import { groupBy } from '../core/group-by.js';
import { parentOf } from '../core/paths.js';

export class LinkTwins {
  /** Recorded files by where they are on disk; the recorded map itself while no recorded directory is a link's. */
  private index: Map<string, FileRow[]> | ReadonlyMap<string, FileRow> | undefined;

  constructor(
    private readonly aliases: PathAliases,
    private readonly recorded: () => ReadonlyMap<string, FileRow>,
  ) {}

  /** Where `path` is on disk once the image's directory links are followed (itself when unresolvable). */
  real(path: string): string {
    return this.aliases.file(path) ?? path;
  }

  /** Recorded files, other than `path` itself, that are the same file on disk as `path`. */
  of(path: string): FileRow[] {
    this.index ??= this.build();
    const real = this.real(path);
    const hit = this.index.get(real);
    if (hit === undefined) return [];
    return Array.isArray(hit) ? hit.filter((f) => f.path !== path) : real === path ? [] : [hit as FileRow];
  }

  private build(): Map<string, FileRow[]> | ReadonlyMap<string, FileRow> {
    const files = this.recorded();
    // One resolution per directory (PathAliases caches them). When no recorded path goes through a link (the usual
    // image), each is where it is recorded: the recorded map is the index, and nothing is built per file.
    const dirs = new Set<string>();
    for (const path of files.keys()) dirs.add(parentOf(path));
    if ([...dirs].every((d) => this.aliases.directory(d) === d)) return files;
    return groupBy(files.values(), (f) => this.real(f.path));
  }
}
