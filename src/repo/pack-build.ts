/**
 * Making a pack from local files: the blobs of each package, in order, in
 * frames — small blobs grouped until a frame holds FRAME_TARGET bytes of
 * content, a big blob alone — compressed on every core (compress-worker.ts)
 * and written in order as they come back, with a bounded number in flight.
 * A package's frames are contiguous, so a fresh install fetches one span.
 */
import { rmSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { threadBudget } from '../fs/threads.js';
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

export type OnBlob = (bytes: number, blobs?: number) => void;

export interface PackBuildOptions {
  level?: number;
  /** Called as blobs are packed: their bytes, and how many they are (1 when absent). */
  onBlob?: OnBlob;
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
  /** What is published, for messages. */
  what?: string;
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

/**
 * A pack being written: packages' blobs are added as they become known (each
 * blob once), compressed on every core and written in order as the answers
 * come back, with a bounded number of frames in flight. A build run adds a
 * recipe's blobs as soon as its tree is packed, so compression runs while the
 * manifest is still being assembled; `finish` waits for the last frame.
 */
export class PackBuilder {
  /** Every blob added, once, in the order it went into the pack. */
  readonly added: Digest[] = [];
  private readonly level: number;
  private readonly writer: PackWriter;
  private readonly seen = new Set<Digest>();
  private readonly places = new Map<Digest, { frame: number; offset: number }>();
  private readonly queued: Group[] = [];
  private readonly inFlight: { group: Group; answer: Promise<FrameAnswer> }[] = [];
  /** Answers' buffers, written and handed back to the workers for reuse (compress-worker.ts says why). */
  private readonly spares: ArrayBuffer[] = [];
  private readonly temps: string[] = [];
  private pool: WorkerPool<FrameTask, FrameAnswer> | undefined;
  private draining: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  private onBlob: OnBlob | undefined;
  private packed = { blobs: 0, bytes: 0 };

  /** `workers`: threads to compress on (default: every core, fewer for a pack of fewer frames). */
  constructor(
    readonly file: string,
    private readonly options: PackBuildOptions & { workers?: number } = {},
  ) {
    this.level = options.level ?? DEFAULT_LEVEL;
    this.writer = new PackWriter(file);
    this.onBlob = options.onBlob;
  }

  /**
   * Reports packed blobs to ON_BLOB from now on, starting with one call for
   * those packed so far: a publish that takes a pack a build started shows
   * the whole pack's progress, not only what was left to pack.
   */
  follow(onBlob: OnBlob): void {
    if (this.packed.blobs) onBlob(this.packed.bytes, this.packed.blobs);
    this.onBlob = onBlob;
  }

  /** Adds one package's blobs (those already added are skipped); its frames never mix with another package's. */
  add(blobs: readonly BlobFile[], what = this.options.what): void {
    if (this.closed) throw new ZpkgError('E_INTERNAL', `pack ${this.file} is already finished`);
    const unique = blobs.filter((b) => (this.seen.has(b.digest) ? false : (this.seen.add(b.digest), true)));
    for (const b of unique) this.added.push(b.digest);
    for (const g of frameGroups([unique])) this.queued.push({ ...g, what });
    this.pump();
  }

  private submit(g: Group): Promise<FrameAnswer> {
    this.pool ??= new WorkerPool<FrameTask, FrameAnswer>(workerUrl(import.meta.url, 'compress-worker'), Math.max(1, this.options.workers ?? Math.min(threadBudget(), this.queued.length + 1)));
    const task: FrameTask = { files: g.files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })), level: this.level };
    if (g.size > STREAM_LIMIT) {
      g.out = task.out = `${this.file}.frame-${this.temps.length}`;
      this.temps.push(task.out);
    }
    const spare = this.spares.pop();
    if (spare) task.spare = spare;
    return this.pool.run(task, spare ? [spare] : []);
  }

  private pump(): void {
    if (this.failure) return;
    const window = (this.pool?.size ?? this.options.workers ?? threadBudget()) * 2 + 1;
    while (this.queued.length && this.inFlight.length < window) {
      const group = this.queued.shift()!;
      const answer = this.submit(group);
      answer.catch(() => undefined); // taken in order by drain
      this.inFlight.push({ group, answer });
    }
    if (!this.draining && this.inFlight.length) this.draining = this.drain();
  }

  /** Writes answered frames in order until none is in flight. */
  private async drain(): Promise<void> {
    try {
      await this.drainAll();
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.draining = undefined;
    }
  }

  private async drainAll(): Promise<void> {
    while (this.inFlight.length) {
      const { group: g, answer: pending } = this.inFlight[0]!;
      const answer = await pending;
      this.inFlight.shift();
      if (!answer.ok) throw new ZpkgError('E_DIGEST_MISMATCH', `${answer.path} changed while publishing${g.what ? ` ${g.what}` : ''}: ${answer.reason}`);
      let offset = 0;
      const blobs = g.files.map((f) => {
        const b = { digest: f.digest, offset, size: f.size };
        offset += f.size;
        return b;
      });
      const frame = answer.stored ? this.writer.addFrame(new Uint8Array(answer.stored, 0, answer.length), answer.size, blobs) : this.writer.addFrameFromFile(g.out!, answer.length, answer.size, blobs);
      if (answer.stored) this.spares.push(answer.stored);
      if (g.out) rmSync(g.out, { force: true });
      for (const b of blobs) if (!this.places.has(b.digest)) this.places.set(b.digest, { frame, offset: b.offset });
      for (const f of g.files) {
        this.packed.blobs += 1;
        this.packed.bytes += f.size;
        this.onBlob?.(f.size);
      }
      this.pump();
    }
  }

  /** Waits for every frame, writes the index and closes the pack; on failure the file is gone. */
  async finish(): Promise<BuiltPack> {
    this.closed = true;
    try {
      while (this.draining) await this.draining;
      if (this.failure) throw this.failure;
      return { ...this.writer.finish(), places: this.places };
    } catch (err) {
      this.writer.abort();
      throw err;
    } finally {
      await this.close();
    }
  }

  /** Stops and deletes the pack. */
  async abort(): Promise<void> {
    if (this.closed && !this.pool) return;
    this.closed = true;
    this.queued.length = 0;
    this.failure ??= new ZpkgError('E_INTERNAL', `pack ${this.file} was abandoned`);
    while (this.draining) await this.draining;
    this.writer.abort();
    await this.close();
  }

  private async close(): Promise<void> {
    for (const t of this.temps) rmSync(t, { force: true });
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }
}

/** Writes `packages`' blobs (each once) into a new pack at `file`. */
export async function buildPack(file: string, packages: readonly (readonly BlobFile[])[], options: PackBuildOptions = {}): Promise<BuiltPack> {
  const builder = new PackBuilder(file, options);
  try {
    for (const blobs of packages) builder.add(blobs);
  } catch (err) {
    await builder.abort();
    throw err;
  }
  return builder.finish();
}
