/**
 * Blobs into a pack's frames as `repo upgrade` and `repo repack` make them:
 * a blob of FRAME_TARGET bytes or more alone, smaller ones concatenated until
 * the frame reaches FRAME_TARGET — so small files compress together, and a
 * frame stays small enough to fetch and decode on its own. `flush` ends a
 * frame early (a package's frames hold only its blobs).
 */
import type { Digest } from '../core/digest.js';
import { compress } from './compress.js';
import { FRAME_TARGET } from './pack-format.js';
import type { PackWriter } from './pack-writer.js';

export interface Grouped {
  frame: number;
  offset: number;
}

export class FrameGrouper {
  private group: { digest: Digest; content: Buffer }[] = [];
  private size = 0;
  /** Where each blob added went: its frame in the pack and its offset there. */
  readonly placed = new Map<Digest, Grouped>();

  constructor(
    private readonly pack: PackWriter,
    private readonly level?: number,
  ) {}

  /** Each digest once: the caller keeps blobs apart. */
  add(digest: Digest, content: Buffer): void {
    if (content.length >= FRAME_TARGET) this.flush();
    this.group.push({ digest, content });
    this.size += content.length;
    if (this.size >= FRAME_TARGET) this.flush();
  }

  flush(): void {
    if (!this.group.length) return;
    const whole = Buffer.concat(this.group.map((g) => g.content));
    let at = 0;
    const blobs = this.group.map((g) => ({ digest: g.digest, offset: (at += g.content.length) - g.content.length, size: g.content.length }));
    const frame = this.pack.addFrame(compress(whole, this.level), whole.length, blobs);
    for (const b of blobs) this.placed.set(b.digest, { frame, offset: b.offset });
    this.group = [];
    this.size = 0;
  }
}
