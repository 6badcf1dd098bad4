/**
 * The set of claimed digests a pack being built shares with its compress
 * workers (src/repo/shared-digests.ts): what was added is found, what was not
 * is not, a second add changes nothing, and it grows past its first table —
 * a reader still holding the old buffer finds what that one held.
 */
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { workerUrl } from '../src/fs/workers.js';
import { SharedDigests, sharedHas } from '../src/repo/shared-digests.js';

const raw = (i: number): Buffer => createHash('sha256').update(`blob ${i}`).digest();
const digest = (i: number): string => `sha256:${raw(i).toString('hex')}`;

describe('SharedDigests', () => {
  it('finds every digest added and none other, through growth; a reader of an old buffer finds what it held', () => {
    const set = new SharedDigests(8);
    // 8 slots hold 3 digests: the fourth moves the set to a bigger buffer.
    for (let i = 0; i < 3; i++) set.add(digest(i));
    const early = set.buffer;
    for (let i = 3; i < 10_000; i++) set.add(digest(i));
    set.add(digest(5));
    expect(set.size).toBe(10_000);
    expect(set.buffer).not.toBe(early);
    for (let i = 0; i < 10_000; i++) expect(sharedHas(set.buffer, raw(i))).toBe(true);
    for (let i = 10_000; i < 20_000; i++) expect(sharedHas(set.buffer, raw(i))).toBe(false);
    for (let i = 0; i < 3; i++) expect(sharedHas(early, raw(i))).toBe(true);
    expect(sharedHas(early, raw(3))).toBe(false);
  });

  it('refuses what is not a sha256 digest', () => {
    expect(() => new SharedDigests().add('sha256:abcd')).toThrow(/not a sha256 digest/);
  });

  it('another thread sees digests added after it was handed the buffer', async () => {
    const set = new SharedDigests();
    set.add(digest(1));
    // The reader polls until the digest added below shows, as a compress worker reads a set that grows while it works.
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.module).then(({ sharedHas }) => {
        const want = Buffer.from(workerData.want, 'hex');
        const first = sharedHas(workerData.buffer, Buffer.from(workerData.first, 'hex'));
        parentPort.postMessage('ready');
        const until = Date.now() + 20000;
        while (!sharedHas(workerData.buffer, want) && Date.now() < until);
        parentPort.postMessage({ first, seen: sharedHas(workerData.buffer, want) });
      });`;
    // The compiled module, as the compress workers load it (fs/workers.ts: workerUrl).
    const worker = new Worker(source, { eval: true, workerData: { module: workerUrl(import.meta.resolve('../src/repo/shared-digests.ts'), 'shared-digests').href, buffer: set.buffer, first: raw(1).toString('hex'), want: raw(2).toString('hex') } });
    const answers: unknown[] = [];
    const done = new Promise<void>((resolve, reject) => {
      worker.on('message', (m) => {
        answers.push(m);
        if (m === 'ready') set.add(digest(2));
        else resolve();
      });
      worker.on('error', reject);
    });
    await done;
    await worker.terminate();
    expect(answers[1]).toEqual({ first: true, seen: true });
  });
});
