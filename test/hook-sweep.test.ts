// The hook store's sweep (src/hooks/store.ts): hooks no installed manifest names go, the others stay,
// and the installed manifests — each read and decoded for it — are asked for only when the store
// holds a hook at all (a one-file install on an image of 100,000 files spent 0.6 s on them).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digestOf } from '../src/core/digest.js';
import type { Manifest } from '../src/core/manifest.js';
import { HOOKS_DIR, sweepHooks } from '../src/hooks/store.js';
import { tempDir } from './helpers/zpkg.js';

const never = (): Manifest[] => {
  throw new Error('the installed manifests were asked for');
};

function withHooks(...digests: string[]): Manifest {
  return { hooks: Object.fromEntries(digests.map((d, i) => [i === 0 ? 'post-install' : 'pre-remove', { digest: d, size: 1 }])) } as unknown as Manifest;
}

describe('sweepHooks', () => {
  it('does not ask for the installed manifests when the image has no hook store', () => {
    const root = tempDir();
    expect(sweepHooks(root, never)).toBe(0);
    expect(existsSync(join(root, HOOKS_DIR))).toBe(false);
  });

  it('does not ask for them when the store is empty', () => {
    const root = tempDir();
    mkdirSync(join(root, HOOKS_DIR), { recursive: true });
    expect(sweepHooks(root, never)).toBe(0);
  });

  it('removes the hooks no installed manifest names and keeps the others', () => {
    const root = tempDir();
    const dir = join(root, HOOKS_DIR);
    mkdirSync(dir, { recursive: true });
    const kept = digestOf(Buffer.from('kept'));
    const shared = digestOf(Buffer.from('shared'));
    const gone = digestOf(Buffer.from('gone'));
    for (const d of [kept, shared, gone]) writeFileSync(join(dir, d.slice('sha256:'.length)), '#!/bin/sh\n');
    let asked = 0;
    const swept = sweepHooks(root, () => {
      asked += 1;
      return [withHooks(kept), withHooks(shared, kept)];
    });
    expect({ swept, asked }).toEqual({ swept: 1, asked: 1 });
    expect(readdirSync(dir).sort()).toEqual([kept, shared].map((d) => d.slice('sha256:'.length)).sort());
  });
});
