/**
 * Writing a site into its directory. Each file is replaced atomically (a
 * reader sees the old page or the new one) and only when its content
 * changed, so unchanged pages keep their time and ETag for caches and rsync.
 * `.zpkg-site.json` records every file the site wrote with its digest: the
 * next render removes exactly the files it no longer produces — never a file
 * it did not write, so a site may live next to the repository in the same
 * directory. A directory that holds other files and no record is refused:
 * zpkg does not overwrite what it did not write.
 *
 * A render can be stopped midway (the depot told to stop, a kill): each file
 * it adds to those recorded is named in `.zpkg-site.pending` before it is
 * written, and temporaries go to `.zpkg-site-tmp/`. The next render counts
 * the pending files as written by the last one (rewritten, or removed when no
 * longer produced) and clears the temporaries, so a stopped render leaves
 * neither a refusal ("files zpkg did not write") nor pages no record names.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { crashPoint } from '../fs/crash-point.js';
import { readBounded } from '../fs/in-root.js';
import { REPOSITORY_ENTRIES } from '../repo/layout.js';

export const SITE_RECORD = '.zpkg-site.json';
/** The files a render began adding to those recorded, one path per line, each named before it is written. */
export const SITE_PENDING = '.zpkg-site.pending';
/** Where a render's temporaries go, so a stopped render's are cleared by the next. */
const SITE_TMP = '.zpkg-site-tmp';
/** The most of the pending list read back: 16 MiB is ~200,000 paths, twice Debian's site. */
const PENDING_LIMIT = 16 << 20;

/** What a site may write: its pages, assets and search index, nothing of the repository layout. */
const SITE_PATH = /^(?:index\.html|repository\.html|sets\.html|(?:p|v|s|r|browse|search|assets)\/[A-Za-z0-9._@-]+)$/;

/** Entries a repository directory holds (layout.ts): a site may be written beside them. */
const SITE_ENTRIES = new Set(['index.html', 'repository.html', 'sets.html', 'p', 'v', 's', 'r', 'browse', 'search', 'assets', SITE_RECORD, SITE_PENDING, SITE_TMP]);

const isSitePath = (path: string): boolean => SITE_PATH.test(path) && !path.includes('..');

interface SiteRecord {
  format: 1;
  files: Record<string, string>;
}

export interface WriteStats {
  files: number;
  bytes: number;
  /** Files left as they were (same content). */
  unchanged: number;
  removed: number;
}

function readRecord(out: string): Record<string, string> | undefined {
  const path = join(out, SITE_RECORD);
  if (!existsSync(path)) return undefined;
  try {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as SiteRecord;
    if (doc.format !== 1 || typeof doc.files !== 'object' || doc.files === null) throw new Error('not a site record');
    return doc.files;
  } catch (err) {
    throw new ZpkgError('E_OUTPUT_CONFLICT', `${path} cannot be read: ${(err as Error).message}`, { hint: 'remove it (and the site it describes) to render the site again' });
  }
}

/** The site paths a stopped render named in its pending list (a line that is not one is skipped: the list is only ever ours). */
function readPending(out: string): string[] | undefined {
  const bytes = readBounded(join(out, SITE_PENDING), { maxBytes: PENDING_LIMIT, noFollow: true, code: 'E_OUTPUT_CONFLICT', hint: 'remove it (and the site it describes) to render the site again' });
  return bytes?.toString('utf8').split('\n').filter(isSitePath);
}

/**
 * Refuses an output directory that holds files zpkg did not write (see the
 * module comment); else what the site there is made of, by path: the recorded
 * digest, or '' for a file a stopped render was writing.
 */
export function checkOutput(out: string): Record<string, string> {
  if (!existsSync(out)) return {};
  if (!statSync(out).isDirectory()) throw new ZpkgError('E_OUTPUT_CONFLICT', `${out} is not a directory`);
  const record = readRecord(out);
  const pending = readPending(out);
  const ours = record !== undefined || pending !== undefined;
  const foreign = readdirSync(out).filter((e) => !REPOSITORY_ENTRIES.has(e) && !(ours && SITE_ENTRIES.has(e)));
  if (foreign.length > 0) {
    throw new ZpkgError('E_OUTPUT_CONFLICT', `${out} holds files zpkg did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''})`, {
      hint: 'render the site into a new or empty directory, a repository directory, or one a previous `zpkg repo site` wrote',
    });
  }
  const files: Record<string, string> = { ...record };
  for (const path of pending ?? []) files[path] ??= '';
  return files;
}

export class SiteWriter {
  private readonly written = new Map<string, string>();
  readonly stats: WriteStats = { files: 0, bytes: 0, unchanged: 0, removed: 0 };
  /** The pending list, open for appending once this render adds a file. */
  private pending: number | undefined;
  private readonly tmpDir: string;

  constructor(
    readonly out: string,
    private readonly previous: Record<string, string>,
  ) {
    this.tmpDir = join(out, SITE_TMP);
    rmSync(this.tmpDir, { recursive: true, force: true });
  }

  write(path: string, content: string | Buffer): void {
    if (!isSitePath(path)) throw new ZpkgError('E_INTERNAL', `the site tried to write \`${path}\`, which is not a site path`);
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (this.written.has(path)) throw new ZpkgError('E_INTERNAL', `the site wrote \`${path}\` twice`);
    this.written.set(path, digest);
    this.stats.files += 1;
    this.stats.bytes += bytes.length;
    const abs = join(this.out, path);
    if (this.previous[path] === digest && existsSync(abs) && statSync(abs).size === bytes.length) {
      this.stats.unchanged += 1;
      return;
    }
    if (!(path in this.previous)) {
      if (this.pending === undefined) {
        mkdirSync(this.out, { recursive: true });
        this.pending = openSync(join(this.out, SITE_PENDING), 'a', 0o644);
      }
      writeSync(this.pending, `${path}\n`);
    }
    writeFileAtomic(abs, bytes, { tmpDir: this.tmpDir });
    crashPoint('site-page');
  }

  /** Removes what the previous render wrote and this one did not, then records this render. */
  finish(): WriteStats {
    const dirs = new Set<string>();
    for (const path of Object.keys(this.previous)) {
      if (this.written.has(path) || !isSitePath(path)) continue;
      try {
        unlinkSync(join(this.out, path));
        this.stats.removed += 1;
        dirs.add(dirname(path));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    for (const d of dirs) {
      try {
        rmdirSync(join(this.out, d));
      } catch {
        // not empty: still in use
      }
    }
    const record: SiteRecord = { format: 1, files: Object.fromEntries([...this.written].sort()) };
    writeFileAtomic(join(this.out, SITE_RECORD), `${JSON.stringify(record)}\n`, { tmpDir: this.tmpDir });
    if (this.pending !== undefined) closeSync(this.pending);
    rmSync(join(this.out, SITE_PENDING), { force: true });
    rmSync(this.tmpDir, { recursive: true, force: true });
    return this.stats;
  }
}
