/**
 * Fetching the content of an flist's files: every block of every file, in
 * order, through the router; each opened and checked (block.ts) against what
 * its file still expects, so no file grows past its declared size; each file
 * checked to hold exactly its declared size at the end. Blocks are asked for
 * a window ahead (stores are remote), and opened strictly in order, so the
 * first failing block in file order is the one reported.
 *
 * Contents land in `workDir` as one file per distinct sha256 (the blob a
 * package names), so identical files are kept once.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { openBlock } from './block.js';
import type { FlBlock } from './format.js';
import type { BlockRouter } from './router.js';
import { maxStoredLength } from './stores/types.js';

/** Something to fetch: a file of the tree or a blob the zpkg tag names. */
export interface FetchItem {
  /** What to call it in messages (a path). */
  where: string;
  size: number;
  blocks: readonly FlBlock[];
}

export interface Fetched {
  digest: Digest;
  size: number;
  /** A local file holding the content, named by its digest. */
  local: string;
}

/** Blocks asked for ahead of the one being opened. */
const WINDOW = 16;

export interface FetchOptions {
  /** Called after each block with its plain size. */
  onBlock?: (plainBytes: number) => void;
}

export async function fetchContents(items: readonly FetchItem[], router: BlockRouter, workDir: string, options: FetchOptions = {}): Promise<Fetched[]> {
  mkdirSync(workDir, { recursive: true });
  const tasks = items.flatMap((it) => it.blocks.map((b, i) => ({ block: b, where: `${it.where}, block ${i + 1} of ${it.blocks.length}`, max: maxStoredLength(it.size) })));
  const pending: Promise<Buffer>[] = [];
  let launched = 0;
  const next = (): Promise<Buffer> => {
    while (pending.length < WINDOW && launched < tasks.length) {
      const t = tasks[launched++]!;
      const p = router.get(t.block.id, t.max, t.where);
      p.catch(() => undefined); // settled later, or abandoned after an earlier failure
      pending.push(p);
    }
    return pending.shift()!;
  };

  const out: Fetched[] = [];
  let seq = 0;
  let taskIndex = 0;
  for (const it of items) {
    if (it.size > 0 && it.blocks.length === 0) {
      throw new ZpkgError('E_FLIST_INVALID', `\`${it.where}\` declares ${it.size} bytes but has no blocks (an upload that failed when the flist was made?)`);
    }
    const tmp = join(workDir, `.part-${seq++}`);
    const fd = openSync(tmp, 'w');
    const hash = createHash('sha256');
    let written = 0;
    try {
      for (const block of it.blocks) {
        const where = tasks[taskIndex++]!.where;
        const stored = await next();
        const plain = await openBlock(block, stored, it.size - written, where);
        let off = 0;
        while (off < plain.length) off += writeSync(fd, plain, off, plain.length - off);
        hash.update(plain);
        written += plain.length;
        options.onBlock?.(plain.length);
      }
    } catch (err) {
      closeSync(fd);
      unlinkSync(tmp);
      throw err;
    }
    closeSync(fd);
    if (written !== it.size) {
      unlinkSync(tmp);
      throw new ZpkgError('E_FLIST_INVALID', `\`${it.where}\` declares ${it.size} bytes but its ${it.blocks.length} blocks hold ${written}`);
    }
    const digest: Digest = `sha256:${hash.digest('hex')}`;
    const local = join(workDir, digest.slice(7));
    if (existsSync(local)) unlinkSync(tmp);
    else renameSync(tmp, local);
    out.push({ digest, size: written, local });
  }
  return out;
}
