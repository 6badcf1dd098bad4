/**
 * image/cache.ts `cachedManifestFlags`: a cached manifest's top-level flags
 * (essential, whether it delivers a mediated link) read from its
 * digest-checked bytes without validating every action — what `remove` and
 * `sync` ask of every installed package (protect.ts), and a transaction
 * involving a mediator (mediate.ts). A missing, damaged or non-regular entry
 * says nothing.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeManifest, MANIFEST_FORMAT, type Manifest } from '../src/core/manifest.js';
import { cachedManifestFlags, manifestCachePath, writeCachedManifest } from '../src/image/cache.js';
import { tempDir } from './helpers/zpkg.js';

function manifest(name: string, essential: boolean, mediated = false): Manifest {
  return {
    format: MANIFEST_FORMAT,
    name,
    version: '1',
    arch: 'all',
    summary: '',
    description: '',
    license: '',
    depends: [],
    conflicts: [],
    provides: [],
    replaces: [],
    actions: [
      { type: 'file', path: `usr/bin/${name}`, digest: `sha256:${'a'.repeat(64)}`, size: 1, mode: '0755', owner: 'root', group: 'root' },
      // A link: mediated (bin/sh → …, chosen among implementations) or plain.
      { type: 'link', path: `usr/bin/${name}-link`, target: name, owner: 'root', group: 'root', ...(mediated ? { mediator: 'sh', implementation: name } : {}) },
    ],
    ...(essential ? { essential: true } : {}),
  } as Manifest;
}

describe('cachedManifestFlags', () => {
  it('says essential or not from the cached bytes; a missing entry, bytes that do not hash to the digest, or a link say nothing', () => {
    const cache = tempDir('zpkg-flags-');
    mkdirSync(join(cache, 'tmp'), { recursive: true });
    const base = encodeManifest(manifest('base', true));
    const tool = encodeManifest(manifest('tool', false));
    const shell = encodeManifest(manifest('dash', false, true));
    for (const m of [base, tool, shell]) writeCachedManifest(cache, m.digest, m.bytes);
    expect(cachedManifestFlags(cache, base.digest)).toEqual({ essential: true, mediated: false });
    expect(cachedManifestFlags(cache, tool.digest)).toEqual({ essential: false, mediated: false });
    expect(cachedManifestFlags(cache, shell.digest)).toEqual({ essential: false, mediated: true });

    const other = encodeManifest(manifest('other', true));
    expect(cachedManifestFlags(cache, other.digest)).toBeUndefined();
    // Another manifest's bytes under this digest: damaged, not read as essential.
    writeFileSync(manifestCachePath(cache, other.digest), base.bytes);
    expect(cachedManifestFlags(cache, other.digest)).toBeUndefined();

    const linked = encodeManifest(manifest('linked', true));
    const outside = join(tempDir('zpkg-flags-outside-'), 'm');
    writeFileSync(outside, linked.bytes);
    symlinkSync(outside, manifestCachePath(cache, linked.digest));
    expect(cachedManifestFlags(cache, linked.digest)).toBeUndefined();
  });
});
