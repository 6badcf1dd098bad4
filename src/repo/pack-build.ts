/**
 * Making a pack from local files: the blobs of each package, in order, in
 * frames — small blobs grouped until a frame holds FRAME_TARGET bytes of
 * content, a big blob alone — compressed on every core (compress-worker.ts)
 * and written in order as they come back, with a bounded number in flight.
 * A package's frames are contiguous, so a fresh install fetches one span.
 */
import { availableParallelism } from 'node:os';
import { rmSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { WorkerPool, workerUrl } from '../fs/workers.js';
import type { FrameAnswer, FrameTask } from './compress-worker.js';
import { DEFAULT_LEVEL } from './compress.js';
import { FRAME_TARGET } from './pack-format.js';
import { PackWriter, type FinishedPack } from './pack-writer.js';

/** A blob to pack and the local file holding its content (checked against its digest when read). */
export interface BlobFile {
  digest: Digest;
  size: number;
  path: string;
}

/** Frames bigger than this are streamed through a file instead of held in memory. */
const STREAM_LIMIT = 64 << 20;

export interface PackBuildOptions {
  level?: number;
  /** Called with each blob's size as it is packed. */
  onBlob?: (bytes: number) => void;
  /** What is published, for messages. */
  what?: string;
}

export interface BuiltPack extends FinishedPack {
  /** Where each blob went: its frame and its offset in the frame's content. */
  places: Map<Digest, { frame: number; offset: number }>;
}

interface Group {
  files: BlobFile[];
  size: number;
  /** Where a frame too big for memory is streamed. */
  out?: string;
}

/** Splits each package's blobs into frames; a group never spans two packages. */
export function frameGroups(packages: readonly (readonly BlobFile[])[]): Group[] {
  const groups: Group[] = [];
  for (const blobs of packages) {
    let cur: Group = { files: [], size: 0 };
    const flush = (): void => {
      if (cur.files.length) groups.push(cur);
      cur = { files: [], size: 0 };
    };
    for (const b of blobs) {
      if (b.size >= FRAME_TARGET) {
        flush();
        groups.push({ files: [b], size: b.size });
        continue;
      }
      cur.files.push(b);
      cur.size += b.size;
      if (cur.size >= FRAME_TARGET) flush();
    }
    flush();
  }
  return groups;
}

/** Writes `packages`' blobs (each once) into a new pack at `file`. */
export async function buildPack(file: string, packages: readonly (readonly BlobFile[])[], options: PackBuildOptions = {}): Promise<BuiltPack> {
  const level = options.level ?? DEFAULT_LEVEL;
  const seen = new Set<Digest>();
  const unique = packages.map((blobs) => blobs.filter((b) => (seen.has(b.digest) ? false : (seen.add(b.digest), true))));
  const groups = frameGroups(unique);
  const writer = new PackWriter(file);
  const places = new Map<Digest, { frame: number; offset: number }>();
  const pool = new WorkerPool<FrameTask, FrameAnswer>(workerUrl(import.meta.url, 'compress-worker'), Math.max(1, Math.min(availableParallelism(), groups.length)));
  const temps: string[] = [];
  try {
    const window = pool.size * 2 + 1;
    const inFlight: Promise<FrameAnswer>[] = [];
    const submit = (g: Group): Promise<FrameAnswer> => {
      const task: FrameTask = { files: g.files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })), level };
      if (g.size > STREAM_LIMIT) {
        g.out = task.out = `${file}.frame-${temps.length}`;
        temps.push(task.out);
      }
      return pool.run(task);
    };
    let next = 0;
    for (let i = 0; i < groups.length; i++) {
      while (next < groups.length && next < i + window) inFlight.push(submit(groups[next++]!));
      const answer = await inFlight.shift()!;
      const g = groups[i]!;
      if (!answer.ok) throw new ZpkgError('E_DIGEST_MISMATCH', `${answer.path} changed while publishing${options.what ? ` ${options.what}` : ''}: ${answer.reason}`);
      let offset = 0;
      const blobs = g.files.map((f) => {
        const b = { digest: f.digest, offset, size: f.size };
        offset += f.size;
        return b;
      });
      const frame = answer.stored ? writer.addFrame(new Uint8Array(answer.stored, 0, answer.length), answer.size, blobs) : writer.addFrameFromFile(g.out!, answer.length, answer.size, blobs);
      if (g.out) rmSync(g.out, { force: true });
      for (const b of blobs) if (!places.has(b.digest)) places.set(b.digest, { frame, offset: b.offset });
      for (const f of g.files) options.onBlob?.(f.size);
    }
    return { ...writer.finish(), places };
  } catch (err) {
    writer.abort();
    throw err;
  } finally {
    for (const t of temps) rmSync(t, { force: true });
    await pool.close();
  }
}
