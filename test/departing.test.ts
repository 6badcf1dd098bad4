/**
 * An upgrade reads the manifest of the version it leaves for three things:
 * the base of the new record's delta, whether it delivered mediated links,
 * and its services and `restart:` files (the lifecycle). It is decoded once,
 * in prepare, and only those parts are kept (txn/types.ts: Departing) — each
 * step decoded it again before (~0.15 s apiece for 20,000 paths). Counted
 * here through the one decoder every cached manifest goes through.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { Digest } from '../src/core/digest.js';

/** The digest each decoded manifest was checked against, in order. */
const decoded: (string | undefined)[] = [];
vi.mock('../src/core/manifest.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/core/manifest.js')>();
  return {
    ...real,
    decodeManifest: (bytes: Uint8Array, digest?: Digest) => {
      decoded.push(digest);
      return real.decodeManifest(bytes, digest);
    },
  };
});

const { parseAtom } = await import('../src/core/relation.js');
const { openImage } = await import('../src/image/image.js');
const { getPackage } = await import('../src/image/state.js');
const { StreamReport } = await import('../src/report/report.js');
const { install } = await import('../src/txn/install.js');
const { addMainRemote, publishLifecycle, writeImageConfig } = await import('./helpers/lifecycle.js');
const { tempDir } = await import('./helpers/zpkg.js');

const work = tempDir('zpkg-departing-');
const repo = join(work, 'repo');

const quiet = () => ({ report: new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() }), command: 'zpkg (departing test)' });

beforeAll(async () => {
  await publishLifecycle(repo, work, [
    // Version 1 runs two services and restarts `web` when its config changes. Version 2 drops `helper` and the
    // config file, and never restarts `web` on an upgrade: only the file leaving restarts it.
    { name: 'web', version: '1', files: { 'usr/bin/web': 'web one', 'etc/web.conf': 'port 80\n', 'usr/share/web/data': 'same' }, services: [{ name: 'web', restart: 'on-upgrade' }, { name: 'helper', restart: 'on-upgrade' }], restart: { 'etc/web.conf': ['web'] } },
    { name: 'web', version: '2', files: { 'usr/bin/web': 'web two', 'usr/share/web/data': 'same' }, services: [{ name: 'web', restart: 'never' }] },
  ]);
});

describe('the manifest an upgrade leaves', () => {
  it('is decoded once, and the lifecycle still plans from it: the service only it ran, the service its leaving file restarts', async () => {
    const root = join(work, 'image');
    writeImageConfig(root, 'hooks:\n  mode: host\n');
    addMainRemote(root, repo);
    const image = openImage(root, { create: true });
    await install(image, [parseAtom('web (= 1)')], quiet());
    const old = getPackage(image.db, 'web')!.manifest;

    decoded.length = 0;
    const r = await install(image, [parseAtom('web (= 2)')], { ...quiet(), dryRun: true });
    // The new manifest came as a delta from the old record: the old one is decoded for it, and for nothing else.
    expect(r.fetched.manifestBytes).toBeGreaterThan(0);
    expect(decoded.filter((d) => d === old)).toHaveLength(1);
    // No service manager in this image: the plan names the services it would touch, each skipped.
    expect(r.lifecycle?.services.map((s) => `${s.name} ${s.status}`).sort()).toEqual(['helper skipped', 'web skipped']);

    decoded.length = 0;
    await install(image, [parseAtom('web (= 2)')], quiet());
    expect(decoded.filter((d) => d === old)).toHaveLength(1);
    expect(getPackage(image.db, 'web')!.version).toBe('2');
    image.close();
  });
});
