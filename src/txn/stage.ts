/**
 * Stage: every file is decompressed, hashed and written beside its target under
 * a hidden temporary name, with its owner and mode; links likewise. Nothing in
 * the image is replaced yet, so a blob that fails verification (or a full disk)
 * leaves the image as it was: `unstage` removes what was staged.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, chown, lchown, link, mkdir, open, readFile, rm, rmdir, stat, symlink } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { DecompressStream } from 'zstd-napi';
import { ZpkgError } from '../core/errors.js';
import { decompress } from '../repo/compress.js';
import { forEachLimited } from './pool.js';
import type { Changeset, PutOp } from './types.js';

/** Blobs above this size stream through decompression instead of being held in memory. */
const STREAM_THRESHOLD = 64 * 1024 * 1024;
const CONCURRENCY = 16;

export interface Staged {
  /** dest image path → staged absolute path. */
  temps: Map<string, string>;
  /** Directories created, parents first. */
  createdDirs: string[];
  bytes: number;
}

export interface StageOptions {
  txid: string;
  onFile?: (bytes: number) => void;
  /** Set owners (root only; elsewhere files stay owned by the caller). */
  chown: boolean;
}

export function tempName(root: string, dest: string, txid: string): string {
  return join(root, dirname(dest), `.${basename(dest)}.zpkg-${txid}`);
}

function corrupt(op: PutOp, actual: string, size: number): ZpkgError {
  const a = op.action as { digest: string; size: number; path: string };
  return new ZpkgError('E_DIGEST_MISMATCH', `blob ${a.digest} for \`${a.path}\` (${op.package}) is corrupt: it decompresses to ${size} bytes hashing to ${actual}`, {
    hint: 'the repository is damaged; nothing was changed. Check it with `zpkg repo verify`',
  });
}

async function stageFile(root: string, op: PutOp, tmp: string, options: StageOptions): Promise<number> {
  const a = op.action as { digest: string; size: number; path: string };
  const blobSize = await stat(op.blob!).then((s) => s.size, () => -1);
  if (blobSize < 0) {
    throw new ZpkgError('E_BLOB_MISSING', `blob ${a.digest} for \`${a.path}\` (${op.package}) is missing from the repository`, { hint: 'nothing was changed; check the repository with `zpkg repo verify`' });
  }
  if (a.size > STREAM_THRESHOLD) {
    const hash = createHash('sha256');
    let size = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb(null, chunk);
      },
    });
    await pipeline(createReadStream(op.blob!), new DecompressStream(), tap, createWriteStream(tmp, { mode: op.mode, flags: 'wx' }));
    const actual = `sha256:${hash.digest('hex')}`;
    if (actual !== a.digest || size !== a.size) throw corrupt(op, actual, size);
  } else {
    let content: Buffer;
    try {
      content = decompress(await readFile(op.blob!));
    } catch (err) {
      if (err instanceof ZpkgError) throw err;
      throw corrupt(op, `(undecodable: ${(err as Error).message})`, 0);
    }
    const actual = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    if (actual !== a.digest || content.length !== a.size) throw corrupt(op, actual, content.length);
    const fh = await open(tmp, 'wx', op.mode);
    try {
      await fh.writeFile(content);
    } finally {
      await fh.close();
    }
  }
  if (options.chown && (op.uid !== 0 || op.gid !== 0)) await chown(tmp, op.uid, op.gid);
  // chown clears setuid/setgid, and open() is subject to the umask: set the mode last.
  if (op.mode & 0o7000 || options.chown) await chmod(tmp, op.mode);
  return a.size;
}

export async function stage(root: string, cs: Changeset, options: StageOptions): Promise<Staged> {
  const staged: Staged = { temps: new Map(), createdDirs: [], bytes: 0 };
  try {
    for (const d of [...cs.dirs].filter((d) => d.create).sort((x, y) => x.path.split('/').length - y.path.split('/').length)) {
      const abs = join(root, d.path);
      try {
        await mkdir(abs, { mode: d.mode });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw err;
      }
      staged.createdDirs.push(abs);
      if (options.chown) await chown(abs, d.uid, d.gid);
      await chmod(abs, d.mode);
    }
    const files = cs.put.filter((p) => p.action.type === 'file');
    await forEachLimited(files, CONCURRENCY, async (op) => {
      const tmp = tempName(root, op.dest, options.txid);
      staged.temps.set(op.dest, tmp);
      const n = await stageFile(root, op, tmp, options);
      staged.bytes += n;
      options.onFile?.(n);
    });
    for (const op of cs.put) {
      if (op.action.type === 'file') continue;
      const tmp = tempName(root, op.dest, options.txid);
      if (op.action.type === 'link') {
        await symlink(op.action.target, tmp);
        staged.temps.set(op.dest, tmp);
        if (options.chown && (op.uid !== 0 || op.gid !== 0)) await lchown(tmp, op.uid, op.gid);
      } else {
        const target = staged.temps.get(op.action.target);
        if (!target) throw new ZpkgError('E_MANIFEST_INVALID', `hardlink \`${op.action.path}\` (${op.package}): target \`${op.action.target}\` is not staged`);
        await link(target, tmp);
        staged.temps.set(op.dest, tmp);
      }
      options.onFile?.(0);
    }
  } catch (err) {
    await unstage(staged);
    throw err;
  }
  return staged;
}

/** Removes staged temporaries and directories this transaction created. */
export async function unstage(staged: Staged): Promise<void> {
  await Promise.all([...staged.temps.values()].map((t) => rm(t, { force: true })));
  for (const dir of [...staged.createdDirs].reverse()) await rmdir(dir).catch(() => undefined);
}
