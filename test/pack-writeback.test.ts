/**
 * A pack written in the background asks the kernel to write it back as it
 * grows (PackWriter.writeBack): the publish's syncfs then finds little of it
 * dirty. The writeback runs on the thread pool, so `settle` must wait for it
 * too — the file descriptor it syncs is closed by `finish`.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { Digest } from '../src/core/digest.js';
import { tempDir } from './helpers/zpkg.js';

const sha = (b: Uint8Array): Digest => `sha256:${createHash('sha256').update(b).digest('hex')}` as Digest;
/** One blob alone in a frame (its stored bytes stand in for compressed ones). */
const alone = (f: Buffer) => [{ digest: sha(f), offset: 0, size: f.length }];

/** What the writer asked of the kernel, in order; each writeback answers late, as a slow disk would. */
const events: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    fdatasync: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
      events.push(`fdatasync ${fd}`);
      real.fdatasync(fd, (err) =>
        setTimeout(() => {
          events.push('synced');
          done(err);
        }, 50),
      );
    },
  };
});

const { PackWriter } = await import('../src/repo/pack-writer.js');
const { checkPackBytes } = await import('../src/repo/pack-check.js');
const { compress } = await import('../src/repo/compress.js');

/** A frame of one 12 MiB blob (random: stored about as large as its content). */
const frame = (): { content: Buffer; stored: Buffer } => {
  const content = randomBytes(12 << 20);
  return { content, stored: compress(content, 1) };
};

describe('pack writeback', () => {
  it('a pack written in the background is synced as it grows, and settle waits for the sync', async () => {
    events.length = 0;
    const file = join(tempDir('zpkg-pack-writeback-'), 'p.pack');
    const writer = new PackWriter(file);
    // Four 12 MiB frames: the third crosses the 32 MiB between writebacks.
    const frames = Array.from({ length: 4 }, frame);
    for (const f of frames) writer.addFrameInBackground(f.stored, f.content.length, alone(f.content), () => undefined);
    await writer.settle();
    events.push('settled');
    expect(events.filter((e) => e.startsWith('fdatasync'))).toHaveLength(1);
    // No writeback outlives settle: its answer came first.
    expect(events.indexOf('synced')).toBeLessThan(events.indexOf('settled'));
    const pack = writer.finish();
    const bytes = fs.readFileSync(file);
    expect(bytes.length).toBe(pack.size);
    const index = checkPackBytes(bytes, pack.digest, file);
    expect(index.frames.map((f) => f.length)).toEqual(frames.map((f) => f.stored.length));
  });

  it('a pack written in the calling thread is not synced by the writer (its caller syncs the filesystem)', () => {
    events.length = 0;
    const file = join(tempDir('zpkg-pack-writeback-'), 'p.pack');
    const writer = new PackWriter(file);
    for (let i = 0; i < 4; i++) {
      const f = frame();
      writer.addFrame(f.stored, f.content.length, alone(f.content));
    }
    writer.finish();
    expect(events).toEqual([]);
  });
});
