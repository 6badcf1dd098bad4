/**
 * A Debian package turned into a zpkg package (`zpkg import-deb`, and the
 * `from-deb:` recipe key): its files, directories, symlinks and hard links
 * with their modes and owners (the names the archive records, else the ids);
 * conffiles become `config` files; Pre-Depends and Depends become depends,
 * Conflicts and Breaks conflicts, Provides and Replaces as they are (the
 * mapping of `repo import-index`, through the same relation parser); the
 * version stays the Debian version. The relations derived from its ELF
 * objects (src/build/deps) are added; script interpreters are not, since
 * Debian declares those itself.
 *
 * Maintainer scripts are NOT run and not carried: each import says which ones
 * the package had (a warning, and a line in the description), because what
 * they do (create accounts, alternatives, caches) does not happen.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import { ZpkgError, isZpkgError } from '../../core/errors.js';
import { tagFacets } from '../../core/facets.js';
import { alternativeLinks, parseAlternatives } from './alternatives.js';
import { encodeManifest, formatMode, isPathAction, MANIFEST_FORMAT, sortActions, validateManifest, type Action, type Manifest } from '../../core/manifest.js';
import { imagePathProblem } from '../../core/paths.js';
import { formatAtom, formatClause, parseRelationField } from '../../core/relation.js';
import { parseStanzas, stanzaToEntry } from '../../repo/debian/index.js';
import type { BuiltPackage } from '../../repo/publish.js';
import { deriveRelations, mergeRelations } from '../deps/index.js';
import { weakRelations } from '../weak.js';
import { readDeb, type DebContents } from './read.js';

export interface DebOverrides {
  name?: string;
  version?: string;
  summary?: string;
  license?: string;
  /** Added to the mapped relations. */
  depends?: string[];
  provides?: string[];
  /** Derive so:/file: relations from the ELF objects (default true). */
  derive?: boolean;
  /** Where blob contents are written (default: a new directory under os.tmpdir()); the caller removes it. */
  workDir?: string;
}

export interface DebPackage extends BuiltPackage {
  /** The directory holding the blob files; remove it once published. */
  workDir: string;
  files: number;
  contentBytes: number;
  /** Maintainer scripts that were not run, and other things worth saying. */
  warnings: string[];
  /** The Debian package's own name and version. */
  deb: { package: string; version: string; architecture: string };
}

const ACCOUNT = /^[a-z_][a-z0-9_-]*\$?$/;

function stripDot(path: string): string {
  return path.replace(/^\.?\/+/, '').replace(/\/+$/, '');
}

const COPY_CHUNK = 1 << 20;

/**
 * Copies `size` bytes at `offset` of the data archive into the work
 * directory, hashing as it goes, and names the copy by its digest: a file's
 * content is never held whole.
 */
function copyBlob(tarFd: number, offset: number, size: number, workDir: string): { digest: Digest; path: string } {
  const part = join(workDir, 'blob.part');
  const out = openSync(part, 'w', 0o600);
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(size, 1)));
  try {
    for (let done = 0; done < size; ) {
      const n = readSync(tarFd, buf, 0, Math.min(buf.length, size - done), offset + done);
      if (n === 0) throw new ZpkgError('E_ARCHIVE_INVALID', `the data archive ends inside a file at byte ${offset + done}`);
      hash.update(buf.subarray(0, n));
      writeSync(out, buf, 0, n);
      done += n;
    }
  } finally {
    closeSync(out);
  }
  const digest = `sha256:${hash.digest('hex')}` as Digest;
  const path = join(workDir, digest.slice(7));
  if (existsSync(path)) rmSync(part);
  else renameSync(part, path);
  return { digest, path };
}

export function packageFromDeb(debPath: string, overrides: DebOverrides = {}): DebPackage {
  const workDir = overrides.workDir ?? mkdtempSync(join(tmpdir(), 'zpkg-deb-'));
  mkdirSync(workDir, { recursive: true });
  const deb = readDeb(debPath, workDir);
  try {
    return convert(debPath, deb, workDir, overrides);
  } finally {
    rmSync(deb.dataTar, { force: true });
  }
}

function convert(debPath: string, deb: DebContents, workDir: string, overrides: DebOverrides): DebPackage {
  const bad = (why: string, cause?: unknown): ZpkgError => new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: ${why}`, cause === undefined ? {} : { cause });
  let stanzas;
  try {
    stanzas = parseStanzas(deb.control);
  } catch (err) {
    throw bad(`its control file is malformed: ${(err as Error).message}`, err);
  }
  if (stanzas.length !== 1) throw bad(`its control file holds ${stanzas.length} stanzas, not one`);
  const stanza = stanzas[0]!;
  let entry;
  try {
    entry = stanzaToEntry(stanza);
  } catch (err) {
    if (!isZpkgError(err)) throw err;
    throw bad(`its control file does not map to a package: ${err.message.replace(/^index stanza /, '')}`, err);
  }
  const description = (stanza.get('description') ?? '').split('\n').slice(1).map((l) => (l.trim() === '.' ? '' : l.replace(/^ /, ''))).join('\n').trim();
  const warnings = deb.scripts.length
    ? [`${entry.name} ${entry.version}: maintainer scripts not run: ${deb.scripts.join(', ')} (zpkg imports files and relations only)`]
    : [];

  const conffiles = new Set(deb.conffiles.map(stripDot));
  const actions: Action[] = [];
  const blobs = new Map<Digest, string>();
  let files = 0;
  let contentBytes = 0;
  const owner = (name: string, id: number): string => (ACCOUNT.test(name) ? name : String(id));
  const tarFd = openSync(deb.dataTar, 'r');
  try {
    for (const e of deb.data) {
      const path = stripDot(e.path);
      if (path === '') continue;
      const problem = imagePathProblem(path);
      if (problem) throw bad(`data archive entry \`${e.path}\`: ${problem}`);
      // Names other than root carry the archive's numeric ids too: an image without that account falls back to them.
      const own = {
        owner: owner(e.uname, e.uid),
        group: owner(e.gname, e.gid),
        ...(ACCOUNT.test(e.uname) && e.uname !== 'root' ? { uid: e.uid } : {}),
        ...(ACCOUNT.test(e.gname) && e.gname !== 'root' ? { gid: e.gid } : {}),
      };
      switch (e.type) {
        case 'dir':
          actions.push({ type: 'dir', path, mode: formatMode(e.mode), ...own });
          break;
        case 'symlink':
          actions.push({ type: 'link', path, target: e.linkname, ...own });
          break;
        case 'hardlink':
          actions.push({ type: 'hardlink', path, target: stripDot(e.linkname) });
          break;
        case 'file': {
          const { digest, path: local } = copyBlob(tarFd, e.offset, e.size, workDir);
          blobs.set(digest, local);
          files += 1;
          contentBytes += e.size;
          actions.push({ type: 'file', path, mode: formatMode(e.mode), ...own, size: e.size, digest, ...(conffiles.has(path) ? { config: true as const } : {}) });
          break;
        }
        default:
          throw bad(`data archive entry \`${e.path}\` is a device, fifo or socket; packages deliver only files, directories and links`);
      }
    }
  } finally {
    closeSync(tarFd);
  }
  // Debian's docs, man pages and translations become facets an image can leave out (core/facets.ts).
  tagFacets(actions);
  // The alternatives its postinst would install, where they can be seen, become mediated links (alternatives.ts).
  const delivered = new Set(actions.filter(isPathAction).map((a) => a.path));
  const alternatives = deb.postinst ? alternativeLinks(entry.name, parseAlternatives(deb.postinst), (p) => delivered.has(p), { owner: 'root', group: 'root' }) : [];
  actions.push(...alternatives);
  for (const c of conffiles) {
    if (!actions.some((a) => isPathAction(a) && a.path === c && a.type === 'file')) warnings.push(`${entry.name}: conffile /${c} is not a file of the package; ignored`);
  }
  const copyright = `usr/share/doc/${entry.name}/copyright`;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    name: overrides.name ?? entry.name,
    version: overrides.version ?? entry.version,
    arch: entry.arch,
    summary: overrides.summary ?? entry.summary,
    description: [description, `Imported from the Debian package ${entry.name} ${entry.version}.${deb.scripts.length ? ` Its maintainer scripts (${deb.scripts.join(', ')}) were not run.` : ''}`].filter(Boolean).join('\n\n'),
    license: overrides.license ?? (actions.some((a) => isPathAction(a) && a.path === copyright) ? `see /${copyright}` : ''),
    depends: [...entry.depends.map(formatClause), ...(overrides.depends ?? [])],
    conflicts: entry.conflicts.map(formatAtom),
    provides: [...entry.provides.map(formatAtom), ...(overrides.provides ?? [])],
    replaces: entry.replaces.map(formatAtom),
    ...debWeakRelations(stanza, bad),
    // Debian's `Essential: yes` (base-files, bash, coreutils, libc-bin…): kept like apt keeps it (txn/protect.ts), and its links may carry others' directories (a merged /usr's `bin` → `usr/bin`).
    ...(stanza.get('essential')?.trim().toLowerCase() === 'yes' ? { essential: true } : {}),
    actions: sortActions(actions),
  };
  const derived = deriveRelations(manifest.actions.filter(isPathAction), blobs, { enabled: overrides.derive !== false, scripts: false });
  Object.assign(manifest, mergeRelations(manifest, derived));
  warnings.push(...derived.warnings);
  try {
    validateManifest(JSON.parse(JSON.stringify(manifest)));
  } catch (err) {
    if (!isZpkgError(err)) throw err;
    throw bad(`it does not make a valid zpkg package: ${err.message}`, err);
  }
  const { bytes, digest } = encodeManifest(manifest);
  return { manifest, bytes, digest, blobs, workDir, files, contentBytes, warnings, deb: { package: entry.name, version: entry.version, architecture: entry.arch } };
}

/**
 * Debian's Recommends and Suggests, as zpkg's weak relations (qualifiers and
 * restrictions dropped as for Depends). A field zpkg cannot read is refused
 * like a bad Depends: the package would otherwise lose a relation silently.
 */
function debWeakRelations(stanza: ReadonlyMap<string, string>, bad: (why: string, cause?: unknown) => ZpkgError): Pick<Manifest, 'recommends' | 'suggests'> {
  const field = (key: string): string[] => {
    const text = stanza.get(key);
    if (text === undefined || text.trim() === '') return [];
    try {
      return parseRelationField(text).map(formatClause);
    } catch (err) {
      throw bad(`its ${key === 'recommends' ? 'Recommends' : 'Suggests'} field cannot be read: ${(err as Error).message}`, err);
    }
  };
  return weakRelations(field('recommends'), field('suggests'));
}
