/**
 * Making a pack from local files: the blobs of each package, in order, in
 * frames — small blobs grouped until a frame holds FRAME_TARGET bytes of
 * content, a big blob alone — compressed on every core (compress-worker.ts)
 * and written in order as they come back, with a bounded number in flight.
 * A package's frames are contiguous, so a fresh install fetches one span.
 *
 * A build may also hand files over before it knows their digests
 * (`speculate`): the workers hash and compress them in one read, and each
 * blob of such a frame is claimed for the pack only if neither the
 * repository nor an earlier frame holds it (frames are claimed in order, so
 * the same tree packs to the same bytes). The workers leave out what the
 * pack has claimed by the time they read a file (shared-digests.ts); a frame
 * still holding a blob not claimed (its worker read it first) is compressed
 * again, by a worker, without it. What a package needs beyond what was
 * speculated is added as usual once its tree is packed.
 */
import { rmSync } from 'node:fs';
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { HEAD } from '../fs/head.js';
import { threadBudget } from '../fs/threads.js';
import { WorkerPool, workerUrl } from '../fs/workers.js';
import type { FrameAnswer, FrameTask, Speculated } from './compress-worker.js';
import { DEFAULT_LEVEL } from './compress.js';
import { FRAME_TARGET } from './pack-format.js';
import { PackWriter, type FinishedPack } from './pack-writer.js';
import { SharedDigests } from './shared-digests.js';

/** A blob to pack and the local file holding its content (checked against its digest when read). */
export interface BlobFile {
  digest: Digest;
  size: number;
  path: string;
}

/** Frames written in the background at most before the next waits: bounds the buffers held by writes. */
const WRITE_BACKLOG = 8;

/** Frames bigger than this are streamed through a file instead of held in memory. */
const STREAM_LIMIT = 64 << 20;

export type OnBlob = (bytes: number, blobs?: number) => void;

export interface PackBuildOptions {
  level?: number;
  /** Blobs the repository already holds: a speculative frame leaves them out. */
  known?: ReadonlyMap<Digest, unknown>;
  /** Called as blobs are packed: their bytes, and how many they are (1 when absent). */
  onBlob?: OnBlob;
  /** What is published, for messages. */
  what?: string;
}

export interface BuiltPack extends FinishedPack {
  /** Where each blob went: its frame and its offset in the frame's content. */
  places: Map<Digest, { frame: number; offset: number }>;
}

/** What a speculative read found of one file: its digest (`!reason` when it could not be read as walked), size and first bytes. */
export interface SpeculatedFile {
  digest: string;
  size: number;
  head: Buffer;
}

/** A file handed over before its digest is known. */
interface Unhashed {
  path: string;
  size: number;
  found: (f: SpeculatedFile) => void;
  failed: (err: unknown) => void;
}

interface Group {
  /** The blobs the frame holds; for a speculative group, set once its answer is claimed. */
  files: BlobFile[];
  size: number;
  /** The files of a speculative group, in the order read. */
  unhashed?: Unhashed[];
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
 * A frame this small, while no compress worker has started, is compressed on
 * this thread: booting a worker costs ~0.1 s of a core and a round of
 * messages, compressing 256 KiB at zstd's level 3 about a millisecond. A
 * package of a few small files (most of what a test, a recipe of
 * configuration or an update of one file builds) then starts no worker; a
 * larger one starts them at its first full frame, and every frame after goes
 * to them. The bytes are the same on either thread.
 */
export const INLINE_FRAME = 256 << 10;

/** A frame compressed on this thread (the worker's own code, compress-worker.ts). */
async function compressHere(task: FrameTask): Promise<FrameAnswer> {
  const { compressFrame } = await import('./compress-worker.js');
  return compressFrame(task).value;
}

/**
 * A pack being written: packages' blobs are added as they become known (each
 * blob once), compressed on every core and written in order as the answers
 * come back, with a bounded number of frames in flight. A build run adds a
 * recipe's blobs as soon as its tree is packed, so compression runs while the
 * manifest is still being assembled — or its tree's files before their
 * digests are known (`speculate`); `finish` waits for the last frame.
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
  /** The speculative group being filled. */
  private gathering: Group | undefined;
  private knownShared: SharedArrayBuffer | undefined;
  /** Settles once the last speculative frame sent so far is claimed (claimedInOrder). */
  private claims: Promise<void> = Promise.resolve();
  /** What `seen` holds, in shared memory: speculative workers leave it out of their frames instead of having them cut. */
  private readonly claimed = new SharedDigests();
  /** Speculative frames: answered, and cut down because some of their blobs were held elsewhere. */
  readonly speculation = { frames: 0, cut: 0 };

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
    for (const b of unique) {
      this.added.push(b.digest);
      this.claimed.add(b.digest);
    }
    for (const g of frameGroups([unique])) this.queued.push({ ...g, what });
    this.pump();
  }

  /**
   * Hands over a file whose digest is not known yet, to be hashed and
   * compressed in one read; the promise gives what was read. Files are
   * grouped into frames in the order given (call `endSpeculation` after the
   * last); a group never mixes with blobs added otherwise.
   */
  speculate(path: string, size: number, what = this.options.what): Promise<SpeculatedFile> {
    if (this.closed) throw new ZpkgError('E_INTERNAL', `pack ${this.file} is already finished`);
    return new Promise<SpeculatedFile>((found, failed) => this.speculateEach(path, size, found, failed, what));
  }

  /** `speculate` answering by callback: exactly one of FOUND and FAILED is called, once (a build walks trees of 100,000s of files). */
  speculateEach(path: string, size: number, found: (f: SpeculatedFile) => void, failed: (err: unknown) => void, what = this.options.what): void {
    if (this.closed) throw new ZpkgError('E_INTERNAL', `pack ${this.file} is already finished`);
    if (this.failure) return failed(this.failure);
    if (size >= FRAME_TARGET) {
      this.endSpeculation();
      this.queued.push({ files: [], size, unhashed: [{ path, size, found, failed }], what });
    } else {
      const g = (this.gathering ??= { files: [], size: 0, unhashed: [], what });
      g.unhashed!.push({ path, size, found, failed });
      g.size += size;
      if (g.size >= FRAME_TARGET) this.endSpeculation();
    }
    this.pump();
  }

  /** Sends the files handed to `speculate` so far, though they fill no whole frame. */
  endSpeculation(): void {
    if (this.gathering) this.queued.push(this.gathering);
    this.gathering = undefined;
    this.pump();
  }

  /** The repository's blobs as the workers search them: raw sha256s, sorted, shared by every worker. */
  private knownForWorkers(): SharedArrayBuffer | undefined {
    if (!this.options.known?.size) return undefined;
    if (!this.knownShared) {
      const hex = [...this.options.known.keys()].map((d) => d.slice('sha256:'.length)).sort();
      this.knownShared = new SharedArrayBuffer(hex.length * 32);
      const view = Buffer.from(this.knownShared);
      hex.forEach((h, i) => view.write(h, i * 32, 32, 'hex'));
    }
    return this.knownShared;
  }

  /**
   * Takes the blobs of a speculative answer that no one holds yet (the
   * repository, an earlier frame, an added package) and cuts the frame down
   * to them when it holds others; tells each file's reader what was found.
   */
  private claim(g: Group, answer: FrameAnswer): FrameAnswer | Promise<FrameAnswer> {
    if (!answer.ok || !answer.speculated) {
      const err = new ZpkgError('E_INTERNAL', `a speculative frame of ${this.file} was answered without what it read`);
      for (const u of g.unhashed!) u.failed(err);
      throw err;
    }
    this.speculation.frames += 1;
    const found: Speculated = answer.speculated;
    const unhashed = g.unhashed!;
    const heads = Buffer.from(found.heads);
    unhashed.forEach((u, i) => u.found({ digest: found.digests[i]!, size: u.size, head: heads.subarray(i * HEAD, i * HEAD + Math.min(HEAD, u.size)) }));
    const inFrame = found.kept.map((i) => ({ digest: found.digests[i] as Digest, size: unhashed[i]!.size, path: unhashed[i]!.path }));
    const claimed = inFrame.filter((b) => !this.seen.has(b.digest) && !this.options.known?.has(b.digest));
    for (const b of claimed) {
      this.seen.add(b.digest);
      this.added.push(b.digest);
      this.claimed.add(b.digest);
    }
    g.files = claimed;
    // A frame of small files holds 10,000s of blobs: no search of `claimed` per blob.
    const dropped = inFrame.reduce((n, b) => n + b.size, 0) - claimed.reduce((n, b) => n + b.size, 0);
    // Empty blobs take no bytes of the frame: leaving them out changes nothing in it.
    if (dropped === 0) return answer;
    this.speculation.cut += 1;
    if (answer.stored) this.spares.push(answer.stored);
    if (claimed.length === 0) return { ok: true, length: 0, size: 0 };
    // Only an in-memory frame holds several blobs (a streamed one holds one): the claimed ones are
    // compressed again by a worker, read back and checked against the digests just found, as any frame.
    g.unhashed = undefined;
    g.size = claimed.reduce((n, b) => n + b.size, 0);
    return this.submit(g);
  }

  private submit(g: Group): Promise<FrameAnswer> {
    const known = g.unhashed ? this.knownForWorkers() : undefined;
    const task: FrameTask = g.unhashed
      ? { files: g.unhashed.map((u) => ({ path: u.path, size: u.size })), level: this.level, speculative: true, ...(known ? { known } : {}), ...(this.claimed.size ? { claimed: this.claimed.buffer } : {}) }
      : { files: g.files.map((f) => ({ path: f.path, digest: f.digest, size: f.size })), level: this.level };
    if (g.size > STREAM_LIMIT) {
      g.out = task.out = `${this.file}.frame-${this.temps.length}`;
      this.temps.push(task.out);
    }
    if (!this.pool && g.size < INLINE_FRAME) return compressHere(task);
    this.pool ??= new WorkerPool<FrameTask, FrameAnswer>(workerUrl(import.meta.url, 'compress-worker'), Math.max(1, this.options.workers ?? Math.min(threadBudget(), this.queued.length + 1)));
    const spare = this.spares.pop();
    if (spare) task.spare = spare;
    return this.pool.run(task, spare ? [spare] : []);
  }

  /**
   * A speculative frame's answer, claimed after every speculative frame sent
   * before it, whichever answers first: a blob two frames hold goes to the
   * earlier one, so the same tree packs to the same bytes. Only the claim
   * waits; compressing a cut frame again does not hold up the next claim.
   */
  private claimedInOrder(group: Group): Promise<FrameAnswer> {
    const claimed = Promise.all([this.submit(group), this.claims]).then(
      ([a]) => ({ next: this.claim(group, a) }),
      (err: unknown) => {
        for (const u of group.unhashed!) u.failed(err);
        throw err;
      },
    );
    this.claims = claimed.then(
      () => undefined,
      () => undefined,
    );
    return claimed.then((c) => c.next);
  }

  private pump(): void {
    if (this.failure) return;
    const window = (this.pool?.size ?? this.options.workers ?? threadBudget()) * 2 + 1;
    while (this.queued.length && this.inFlight.length < window) {
      const group = this.queued.shift()!;
      const answer = group.unhashed ? this.claimedInOrder(group) : this.submit(group);
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
      this.dropQueued();
    } finally {
      this.draining = undefined;
    }
  }

  /** Drops what was not sent yet; whoever waits on a speculative file hears the failure. */
  private dropQueued(): void {
    const dropped = [...this.queued, ...(this.gathering ? [this.gathering] : [])];
    this.queued.length = 0;
    this.gathering = undefined;
    for (const g of dropped) for (const u of g.unhashed ?? []) u.failed(this.failure);
  }

  private async drainAll(): Promise<void> {
    while (this.inFlight.length) {
      const { group: g, answer: pending } = this.inFlight[0]!;
      const answer = await pending;
      this.inFlight.shift();
      if (!answer.ok) throw new ZpkgError('E_DIGEST_MISMATCH', `${answer.path} changed while publishing${g.what ? ` ${g.what}` : ''}: ${answer.reason}`);
      if (g.files.length === 0) {
        // A speculative frame whose every blob was held elsewhere: nothing to write.
        if (g.out) rmSync(g.out, { force: true });
        this.pump();
        continue;
      }
      let offset = 0;
      const blobs = g.files.map((f) => {
        const b = { digest: f.digest, offset, size: f.size };
        offset += f.size;
        return b;
      });
      const stored = answer.stored;
      // Written by the thread pool, so this thread goes on handing out frames (and a build on walking its tree);
      // the buffer goes back to the workers once written.
      const frame = stored ? this.writer.addFrameInBackground(new Uint8Array(stored, 0, answer.length), answer.size, blobs, () => this.spares.push(stored)) : this.writer.addFrameFromFile(g.out!, answer.length, answer.size, blobs);
      if (g.out) rmSync(g.out, { force: true });
      for (const b of blobs) if (!this.places.has(b.digest)) this.places.set(b.digest, { frame, offset: b.offset });
      for (const f of g.files) {
        this.packed.blobs += 1;
        this.packed.bytes += f.size;
        this.onBlob?.(f.size);
      }
      if (this.writer.backlog > WRITE_BACKLOG) await this.writer.settle(WRITE_BACKLOG);
      this.pump();
    }
  }

  /** Waits for every frame, writes the index and closes the pack; on failure the file is gone. */
  async finish(): Promise<BuiltPack> {
    this.endSpeculation();
    this.closed = true;
    try {
      while (this.draining) await this.draining;
      await this.writer.settle();
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
    this.failure ??= new ZpkgError('E_INTERNAL', `pack ${this.file} was abandoned`);
    this.dropQueued();
    while (this.draining) await this.draining;
    await this.writer.settle().catch(() => undefined);
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
