/**
 * The image's top-level directory links — a merged /usr's `bin` → `usr/bin`,
 * `lib64` → `usr/lib64` — resolved the image's way (fs/in-root.ts). The solver
 * sees `file:` capabilities through them (core/file-aliases.ts). Only the
 * root's entries are read: the usrmerge layouts (Debian's DEP17, Fedora's
 * UsrMove, Arch) alias nothing deeper, and a link that resolves to nothing, to
 * a file or to the root itself is no alias.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DirectoryLinks } from '../core/file-aliases.js';
import { resolveInRoot } from '../fs/in-root.js';

export function directoryLinks(root: string): DirectoryLinks {
  const links = new Map<string, string>();
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return links; // an image not created yet has none
  }
  for (const name of names.sort()) {
    try {
      if (!lstatSync(join(root, name)).isSymbolicLink()) continue;
      const r = resolveInRoot(root, name);
      if (r.stat?.isDirectory() && r.inImage !== '' && r.inImage !== name) links.set(name, r.inImage);
    } catch {
      // unresolvable (a loop, a dangling component): no alias
    }
  }
  return links;
}
