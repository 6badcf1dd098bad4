/** `zpkg build`: recipe → packed tree → validated manifest, ready to publish. */
import { encodeManifest, isPathAction, MANIFEST_FORMAT, sortActions, validateManifest, type Manifest } from '../core/manifest.js';
import { formatAtom, formatClause, parseAtom, parseClause } from '../core/relation.js';
import type { BuiltPackage } from '../repo/publish.js';
import { deriveRelations, mergeRelations } from './deps/index.js';
import { packTree } from './pack.js';
import { loadRecipe } from './recipe.js';

export interface BuildResult extends BuiltPackage {
  files: number;
  /** Uncompressed bytes of all files. */
  contentBytes: number;
}

export function buildPackage(srcDir: string, onFile?: (bytes: number) => void): BuildResult {
  const recipe = loadRecipe(srcDir);
  const packed = packTree(recipe, onFile);
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: recipe.name,
    version: recipe.version,
    arch: recipe.arch,
    summary: recipe.summary,
    description: recipe.description,
    license: recipe.license,
    depends: recipe.depends.map((d) => formatClause(parseClause(d))),
    conflicts: recipe.conflicts.map((c) => formatAtom(parseAtom(c))),
    provides: recipe.provides.map((c) => formatAtom(parseAtom(c))),
    replaces: recipe.replaces.map((c) => formatAtom(parseAtom(c))),
    actions: sortActions(packed.actions),
  };
  // so:/file: relations derived from the ELF objects and scripts shipped (src/build/deps/derive.ts).
  Object.assign(manifest, mergeRelations(manifest, deriveRelations(manifest.actions.filter(isPathAction), packed.blobs)));
  // Round-trip through validation so a recipe can never publish what an installer would refuse.
  validateManifest(JSON.parse(JSON.stringify(manifest)));
  const { bytes, digest } = encodeManifest(manifest);
  return { manifest, bytes, digest, blobs: packed.blobs, files: packed.files, contentBytes: packed.bytes };
}
