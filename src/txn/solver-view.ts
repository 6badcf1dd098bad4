/**
 * The installed set and the candidates as the solver sees them in this image:
 * `file:` capabilities through the image's directory links (a merged /usr:
 * core/file-aliases.ts), so a package's `/lib64/ld-linux-x86-64.so.2` is met
 * by a libc that ships `usr/lib64/ld-linux-x86-64.so.2` where `lib64` is a link
 * to `usr/lib64`, and only there.
 */
import type { Candidate, CatalogEntry, InstalledPackage } from '../core/catalog.js';
import { entriesWithFileAliases, type DirectoryLinks } from '../core/file-aliases.js';
import { directoryLinks } from '../image/directory-links.js';
import type { Image } from '../image/image.js';
import { listPackages, toInstalled } from '../image/state.js';

export function imageLinks(image: Image): DirectoryLinks {
  return directoryLinks(image.paths.root);
}

export function installedView(image: Image, links: DirectoryLinks = imageLinks(image)): InstalledPackage[] {
  return entriesWithFileAliases(listPackages(image.db).map(toInstalled), links);
}

export function candidatesView<T extends Candidate | CatalogEntry>(candidates: readonly T[], links: DirectoryLinks): T[] {
  return entriesWithFileAliases(candidates, links);
}
