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
import { nameOf, parentOf } from '../core/paths.js';

/** Queries by name a LinkTwins makes before it reads every recorded file instead. */
const NAMED_QUERIES = 8;

export class LinkTwins {
  /** Recorded files by where they are on disk; the recorded map itself while no recorded directory is a link's. */
  private index: Map<string, FileRow[]> | ReadonlyMap<string, FileRow> | undefined;
  /** Recorded files by last component, for the names asked so far (while `named` is used). */
  private readonly byName = new Map<string, FileRow[]>();
  private queries = 0;

  /**
   * `named` (for a small change: see changeset.ts LOOKUP_LIMIT) finds the
   * recorded files with given last components. A twin keeps the last
   * component (links are followed in directories only), so the twins of a
   * path are among the files of its name: a small change asks for those
   * (`prefetch` asks for many names at once) instead of reading every
   * recorded file — a one-file removal on an image of 100,000 files spent
   * 0.5 s of its 0.84 s plan here. After NAMED_QUERIES queries, every
   * recorded file is read once, as without `named`.
   */
  constructor(
    private readonly aliases: PathAliases,
    private readonly recorded: () => ReadonlyMap<string, FileRow>,
    private readonly named?: (names: readonly string[]) => FileRow[],
  ) {}

  /** Asks, in one query, for the names of the paths whose twins will be wanted (nothing once every file is read). */
  prefetch(paths: Iterable<string>): void {
    if (this.index !== undefined || this.named === undefined) return;
    const names = [...new Set(Array.from(paths, nameOf))].filter((n) => !this.byName.has(n));
    if (names.length === 0) return;
    if (++this.queries > NAMED_QUERIES) {
      this.index = this.build();
      return;
    }
    for (const n of names) this.byName.set(n, []);
    for (const f of this.named(names)) this.byName.get(nameOf(f.path))?.push(f);
  }

  /** Where `path` is on disk once the image's directory links are followed (itself when unresolvable). */
  real(path: string): string {
    return this.aliases.file(path) ?? path;
  }

  /** Recorded files, other than `path` itself, that are the same file on disk as `path`. */
  of(path: string): FileRow[] {
    this.prefetch([path]);
    if (this.index === undefined && this.named !== undefined) {
      const real = this.real(path);
      return (this.byName.get(nameOf(path)) ?? []).filter((f) => f.path !== path && this.real(f.path) === real);
    }
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
