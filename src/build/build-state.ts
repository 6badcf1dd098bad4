/**
 * Incremental builds. A recipe's inputs are its whole directory (the recipe,
 * local sources, hooks, a `root:` tree: every path, type, mode, owner and
 * content), the URL sources it pins by sha256 (part of the recipe's text) and
 * the builder's version; their digest is the recipe's input digest. After a
 * package is published, `<recipe dir>/.zpkg-build/state.json` records the
 * input digest and the manifest it produced. A recipe is up to date when its
 * input digest is the recorded one AND the repository still publishes that
 * manifest under that name and version; otherwise it is built again.
 *
 * `.zpkg-build/` also holds the last build's log; it carries its own
 * `.gitignore`, and its contents are no input.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDigest, type Digest } from '../core/digest.js';
import { factsOf, lstatWalked, readdirWalked } from './file-digests.js';
import { hostPath } from '../core/paths.js';
import { writeFileAtomic } from '../fs/atomic.js';

/** Bump when the builder would make a different package from the same inputs. */
export const BUILDER_VERSION = 'zpkg 0.1.0, builder 1';
export const STATE_DIR = '.zpkg-build';

export interface BuildState {
  format: 1;
  inputs: Digest;
  name: string;
  version: string;
  manifest: Digest;
  built: string;
}

export function stateDir(recipeDir: string): string {
  return join(recipeDir, STATE_DIR);
}

export function buildLog(recipeDir: string): string {
  return join(stateDir(recipeDir), 'build.log');
}

/** The input digest of the recipe in `recipeDir`; symlinks are hashed as links, never followed. */
export function inputDigest(recipeDir: string): Digest {
  const hash = createHash('sha256');
  hash.update(`${BUILDER_VERSION}\n`);
  // One update per directory: a tree of 100,000 files made as many calls into the hash.
  const walk = (dir: string, rel: string): void => {
    const lines: string[] = [];
    const flush = (): void => {
      if (lines.length) hash.update(lines.join(''));
      lines.length = 0;
    };
    for (const name of readdirWalked(dir)) {
      if (!rel && name === STATE_DIR) continue;
      const abs = hostPath(dir, name);
      const path = rel ? `${rel}/${name}` : name;
      const st = lstatWalked(abs);
      const head = `${JSON.stringify(path)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isDirectory()) {
        lines.push(`${head} dir\n`);
        // A directory's entries follow its line: what goes to the hash is the same as one update per entry.
        flush();
        walk(abs, path);
      } else if (st.isSymbolicLink()) lines.push(`${head} link ${JSON.stringify(readlinkSync(abs))}\n`);
      else if (st.isFile()) lines.push(`${head} file ${factsOf(abs, st).digest}\n`);
      else lines.push(`${head} special ${st.mode >>> 12}\n`);
    }
    flush();
  };
  walk(recipeDir, '');
  return `sha256:${hash.digest('hex')}`;
}

export function readBuildState(recipeDir: string): BuildState | undefined {
  try {
    const s = JSON.parse(readFileSync(join(stateDir(recipeDir), 'state.json'), 'utf8')) as BuildState;
    if (s.format !== 1 || !isDigest(s.inputs) || !isDigest(s.manifest) || typeof s.name !== 'string' || typeof s.version !== 'string') return undefined;
    return s;
  } catch {
    // No state, or a damaged one: the recipe is simply built again.
    return undefined;
  }
}

export function writeBuildState(recipeDir: string, state: Omit<BuildState, 'format' | 'built'>): void {
  ensureStateDir(recipeDir);
  const doc: BuildState = { format: 1, ...state, built: new Date().toISOString() };
  writeFileAtomic(join(stateDir(recipeDir), 'state.json'), `${JSON.stringify(doc, null, 2)}\n`);
}

export function ensureStateDir(recipeDir: string): void {
  const dir = stateDir(recipeDir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.gitignore'), '# zpkg build state and logs: never committed\n*\n');
}
