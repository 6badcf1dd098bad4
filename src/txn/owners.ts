/**
 * `owns PATH`: the installed packages that deliver an image path — by its
 * recorded name, else by the name the image's directory links give a
 * recorded path (a merged /usr: `/usr/bin/bash` is the recorded `bin/bash`;
 * image/path-aliases.ts).
 */
import { nameOf } from '../core/paths.js';
import type { Image } from '../image/image.js';
import { PathAliases } from '../image/path-aliases.js';
import { allDirs, dirOwners, fileAt, filesNamed } from '../image/state.js';

export interface Owners {
  path: string;
  type: string;
  owners: string[];
  /** The recorded path, when the owner was found through the image's links. */
  as?: string;
}

export function ownersOf(image: Image, path: string): Owners | undefined {
  const file = fileAt(image.db, path);
  if (file) return { path, type: file.type, owners: [file.package] };
  const dirs = dirOwners(image.db, path).map((d) => d.package);
  if (dirs.length) return { path, type: 'dir', owners: dirs };
  const aliases = new PathAliases(image.paths.root);
  const real = aliases.file(path);
  if (real === null) return undefined;
  // A file's alias keeps its last name: only rows of that name can be it.
  const name = nameOf(path);
  const aliased = filesNamed(image.db, [name]).find((f) => f.path !== path && aliases.file(f.path) === real);
  if (aliased) return { path, type: aliased.type, owners: [aliased.package], as: aliased.path };
  const dir = aliases.directory(path);
  const rows = dir === null ? [] : allDirs(image.db).filter((d) => d.path !== path && aliases.directory(d.path) === dir);
  if (rows.length === 0) return undefined;
  return { path, type: 'dir', owners: [...new Set(rows.map((d) => d.package))].sort(), as: rows[0]!.path };
}
