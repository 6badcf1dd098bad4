/**
 * Offline media that outlive a month (issue 17): `repo archive --expires D`
 * re-signs the archive's copy of the root metadata with the repository's keys,
 * so an air-gapped node installs from it after the source's 30 days have
 * passed, and still refuses it after D (the freeze-attack bound). The clock is
 * faked in this process (vitest's fake Date), not on the machine: the install
 * runs through the library, as a node agent would call it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAtom } from '../src/core/relation.js';
import { openImage } from '../src/image/image.js';
import { listPackages } from '../src/image/state.js';
import { StreamReport } from '../src/report/report.js';
import { install } from '../src/txn/install.js';
import { ok, snapshot, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

const DAY = 86_400_000;
const work = tempDir('zpkg-archive-expires-');
const src = join(work, 'src');
const long = join(work, 'long.zpar');
const plain = join(work, 'plain.zpar');

const report = () => new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: new PassThrough() });

/** An image with the archive as its remote, added (and refreshed) today. */
function imageWith(archive: string, name: string): string {
  const root = join(work, name);
  ok(['--root', root, 'remote', 'add', 'media', archive, ...TRUST]);
  ok(['--root', root, 'refresh']);
  return root;
}

/** `install alpha` through the library with the clock `days` ahead; the error's code, or 'ok'. */
async function installLater(root: string, days: number): Promise<string> {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + days * DAY);
  const image = openImage(root, { create: true });
  try {
    await install(image, [parseAtom('alpha')], { report: report(), command: 'zpkg install alpha (test)', unsafeIo: true });
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    image.close();
    vi.useRealTimers();
  }
}

beforeAll(() => {
  ok(['repo', 'create', src]);
  ok(['build', writePackage(join(work, 'a'), { name: 'alpha', version: '1' }, { 'usr/bin/alpha': 'alpha\n' }), '--repo', src]);
});

afterEach(() => {
  vi.useRealTimers();
});

describe('repo archive --expires', () => {
  it('re-signs only the archive copy: next version, the new expiry, the source untouched', () => {
    const before = readFileSync(join(src, 'root.json'));
    const sourceRoot = JSON.parse(before.toString()).signed;
    const r = ok(['--json', 'repo', 'archive', src, long, '--expires', '400d']).json;
    expect(r.resigned).toBe(true);
    expect(r.repoVersion).toBe(sourceRoot.version + 1);
    const days = (Date.parse(r.expires) - Date.now()) / DAY;
    expect(days).toBeGreaterThan(399);
    expect(days).toBeLessThanOrEqual(400);
    expect(readFileSync(join(src, 'root.json')).equals(before)).toBe(true);
    const p = zpkg(['--json', 'repo', 'archive', src, plain]);
    expect(p.status).toBe(0);
    expect(p.json.resigned).toBe(false);
    expect(p.json.expires).toBe(sourceRoot.expires);
    expect(p.stderr).toContain('--expires');
  });

  it('an archive made with --expires 400d installs after the clock passed 30 days; a plain one is refused E_EXPIRED', async () => {
    const a = imageWith(long, 'node-long');
    const b = imageWith(plain, 'node-plain');
    const beforeB = snapshot(b, (rel) => rel.endsWith('.db-shm') || rel.endsWith('zpkg/lock'));
    expect(await installLater(a, 31)).toBe('ok');
    expect(readFileSync(join(a, 'usr/bin/alpha'), 'utf8')).toBe('alpha\n');
    expect(await installLater(b, 31)).toBe('E_EXPIRED');
    expect(snapshot(b, (rel) => rel.endsWith('.db-shm') || rel.endsWith('zpkg/lock'))).toEqual(beforeB);
    const img = openImage(b);
    expect(listPackages(img.db)).toEqual([]);
    img.close();
  });

  it('the archive is still refused after its own expiry (the freeze-attack bound)', async () => {
    const c = imageWith(long, 'node-late');
    expect(await installLater(c, 401)).toBe('E_EXPIRED');
  });

  it('needs the repository\'s keys: a stranger\'s key and an unsigned repository are refused, writing nothing', () => {
    const other = join(work, 'other.key');
    ok(['repo', 'keygen', other]);
    const file = join(work, 'refused.zpar');
    const stranger = zpkg(['--json', 'repo', 'archive', src, file, '--expires', '400d', '--key', other]);
    expect(stranger.json.error.code).toBe('E_UNTRUSTED_KEY');
    const unsigned = join(work, 'unsigned');
    ok(['repo', 'create', unsigned], { env: { ZPKG_REPO_KEY: '' } });
    const u = zpkg(['--json', 'repo', 'archive', unsigned, file, '--expires', '400d']);
    expect(u.json.error.code).toBe('E_KEY_REQUIRED');
    const usage = zpkg(['--json', 'repo', 'archive', src, file, '--key', other]);
    expect(usage.status).toBe(2);
    expect(() => readFileSync(file)).toThrow();
  });
});
