// Signed repository metadata through the real binary: every attack on a
// repository an image trusts is refused by `zpkg refresh` and `zpkg install`
// with its own error code, and leaves the image exactly as it was.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/core/canonical-json.js';
import { digestOf } from '../src/core/digest.js';
import { readRecordParts, rewriteRecord } from './helpers/packs.js';
import { tamperBlob } from '../bench/shared/tamper-pack.js';
import { readSigningKey } from '../src/repo/trust/key-file.js';
import { signBytes } from '../src/repo/trust/keys.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
/** K1 signs the repository; K2 is a second key of it in threshold tests; K3 is a stranger's. */
const K: Record<'k1' | 'k2' | 'k3', { file: string; pub: string; id: string }> = {} as never;
let pristine: string;

type Json = Record<string, any>;

const rootOf = (repo: string): { signed: Json; signatures: { keyid: string; sig: string }[] } => JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8'));

/** Writes root.json with `signed` edited by `edit`, signed by the given key files (a signature per entry; ids as they are). */
function craftRoot(repo: string, edit: (signed: Json) => void, signers: string[], file = 'root.json'): Buffer {
  const { signed } = rootOf(repo);
  edit(signed);
  const canonical = Buffer.from(canonicalJson(signed));
  const signatures = signers.map((f) => {
    const k = readSigningKey(f);
    return { keyid: k.id, sig: signBytes(k, canonical) };
  });
  const bytes = Buffer.from(JSON.stringify({ signed, signatures }, null, 2));
  mkdirSync(join(repo, 'keys'), { recursive: true });
  writeFileSync(join(repo, file), bytes);
  return bytes;
}

/** A copy of the pristine repository, so that each attack starts from the same one. */
function repoCopy(name: string): string {
  const dir = join(work, name);
  cpSync(pristine, dir, { recursive: true });
  return dir;
}

/** An image with remote `main` trusting `key` (K1 by default); refreshed unless `refresh` is false. */
function image(name: string, repo: string, options: { key?: string; refresh?: boolean } = {}): string {
  const root = join(work, name);
  mkdirSync(join(root, 'etc'), { recursive: true });
  ok(['--root', root, 'remote', 'add', 'main', repo, '--key', options.key ?? K.k1.pub]);
  if (options.refresh !== false) ok(['--root', root, 'refresh']);
  return root;
}

/** Everything a refusal must leave alone: the image's files (cached root metadata included, the content cache not) and every row of state.db (trust state included). */
function state(root: string): unknown {
  // Caches are not state: the content cache, and a remote's file index, which the solver fetches (verified against the root metadata) to see overlapping paths.
  const skip = (rel: string): boolean => ['var/lib/zpkg/cache', 'var/lib/zpkg/state.db', 'var/lib/zpkg/lock', 'var/lib/zpkg/journal'].some((p) => rel.startsWith(p)) || /^var\/lib\/zpkg\/repos\/[^/]+\/files\.zst$/.test(rel);
  const tree = snapshot(root, skip);
  const journal = join(root, 'var/lib/zpkg/journal');
  expect(existsSync(journal) ? readdirSync(journal) : []).toEqual([]);
  const db = new Database(join(root, 'var/lib/zpkg/state.db'), { readonly: true });
  const rows = Object.fromEntries(['packages', 'files', 'dirs', 'history', 'remotes', 'remote_mirrors', 'remote_trust'].map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()]));
  db.close();
  return { tree, rows };
}

function refuse(root: string, args: string[], code: string, message: RegExp): void {
  const before = state(root);
  const r = zpkg(['--root', root, '--json', ...args]);
  expect(r.status, r.stdout + r.stderr).toBe(1);
  expect(r.json?.error?.code, r.stdout).toBe(code);
  expect(r.json.error.message).toMatch(message);
  expect(state(root)).toEqual(before);
}

/** The attack refused both by `refresh` of an image that trusted the repository before, and by `install` of one that never refreshed. */
function refusedEverywhere(repo: string, name: string, code: string, message: RegExp, before?: () => void): void {
  const seen = image(`${name}-seen`, repo);
  const fresh = image(`${name}-fresh`, repo, { refresh: false });
  before?.();
  refuse(seen, ['refresh'], code, message);
  refuse(fresh, ['install', 'app'], code, message);
}

beforeAll(() => {
  work = tempDir('zpkg-trust-');
  for (const k of ['k1', 'k2', 'k3'] as const) {
    const r = ok(['--json', 'repo', 'keygen', join(work, k)]).json;
    K[k] = { file: r.privateKey, pub: r.publicKeyFile, id: r.keyid };
  }
  pristine = join(work, 'pristine');
  ok(['repo', 'create', pristine, '--key', K.k1.file]);
  writePackage(join(work, 'src-lib'), { name: 'lib', version: '1.0' }, { 'usr/lib/lib.so': 'library\n' });
  writePackage(join(work, 'src-app'), { name: 'app', version: '1.0', depends: ['lib'] }, { 'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 } });
  ok(['build', join(work, 'src-lib'), join(work, 'src-app'), '--repo', pristine, '--key', K.k1.file]);
});

describe('a trusted, signed repository', () => {
  it('installs, and verify checks the files against the signed chain', () => {
    const root = image('good', repoCopy('good-repo'));
    expect(ok(['--root', root, '--json', 'install', 'app']).json.install.map((p: { name: string }) => p.name).sort()).toEqual(['app', 'lib']);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
    const list = ok(['--root', root, '--json', 'remote', 'list']).json.remotes;
    expect(list).toMatchObject([{ name: 'main', trust: 'signed', keys: [K.k1.id], threshold: 1, version: 2 }]);
  });
});

describe('refusals', () => {
  it('a byte of root.json changed: bad signature', () => {
    const repo = repoCopy('tamper');
    refusedEverywhere(repo, 'tamper', 'E_SIGNATURE', /bad signature by key/, () => {
      const text = readFileSync(join(repo, 'root.json'), 'utf8');
      // One character of the signed part: the created time's last digit before `Z`.
      writeFileSync(join(repo, 'root.json'), text.replace(/(\d)Z"/, (_m, d: string) => `${(Number(d) + 1) % 10}Z"`));
    });
  });

  it('the signature itself damaged', () => {
    const repo = repoCopy('badsig');
    refusedEverywhere(repo, 'badsig', 'E_SIGNATURE', /bad signature/, () => {
      const r = rootOf(repo);
      const sig = Buffer.from(r.signatures[0]!.sig, 'base64');
      sig[10] ^= 1;
      r.signatures[0]!.sig = sig.toString('base64');
      writeFileSync(join(repo, 'root.json'), JSON.stringify(r));
    });
  });

  it('re-signed by an unknown key, with the keys replaced by it', () => {
    const repo = repoCopy('stranger');
    refusedEverywhere(repo, 'stranger', 'E_UNTRUSTED_KEY', /does not trust|none of the keys/, () => {
      const k3 = readSigningKey(K.k3.file);
      craftRoot(repo, (s) => {
        s.version += 1;
        s.keys = { [k3.id]: k3.entry };
      }, [K.k3.file]);
    });
  });

  it('signed by an unknown key that claims the trusted key id', () => {
    const repo = repoCopy('impostor');
    refusedEverywhere(repo, 'impostor', 'E_SIGNATURE', /bad signature by key/, () => {
      const bytes = craftRoot(repo, (s) => (s.version += 1), [K.k3.file]);
      const r = JSON.parse(bytes.toString());
      r.signatures[0].keyid = K.k1.id;
      writeFileSync(join(repo, 'root.json'), JSON.stringify(r));
    });
  });

  it('unsigned root metadata for a remote added with a key', () => {
    const repo = repoCopy('unsigned');
    refusedEverywhere(repo, 'unsigned', 'E_SIGNATURE', /is not signed/, () => {
      const r = rootOf(repo);
      writeFileSync(join(repo, 'root.json'), JSON.stringify({ signed: r.signed, signatures: [] }));
    });
  });

  it('an older root.json replayed after a newer one was seen', () => {
    const repo = repoCopy('replay');
    const old = readFileSync(join(repo, 'root.json'));
    writePackage(join(work, 'src-app2'), { name: 'app', version: '2.0', depends: ['lib'] }, { 'usr/bin/app': 'v2\n' });
    ok(['build', join(work, 'src-app2'), '--repo', repo, '--key', K.k1.file]);
    const root = image('replay-img', repo);
    expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0].version).toBe(3);
    writeFileSync(join(repo, 'root.json'), old);
    refuse(root, ['refresh'], 'E_ROLLBACK', /version 2 is older than version 3 already seen/);
    // What was accepted before still installs: the refused metadata did not replace it.
    expect(ok(['--root', root, '--json', 'install', 'app']).json.install).toContainEqual({ name: 'app', version: '2.0' });
  });

  it('remote set moves a remote to another copy keeping its trust: an older copy is refused as a replay, a current one is taken', () => {
    const stale = repoCopy('moved-stale'); // the pristine repository: version 2
    const repo = repoCopy('moved');
    writePackage(join(work, 'src-app3'), { name: 'app', version: '3.0', depends: ['lib'] }, { 'usr/bin/app': 'v3\n' });
    ok(['build', join(work, 'src-app3'), '--repo', repo, '--key', K.k1.file]);
    const root = image('moved-img', repo);
    ok(['--root', root, 'remote', 'set', 'main', '--url', stale, '--priority', '5', '--mirror', repo]);
    const listed = ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0];
    expect(listed).toMatchObject({ url: stale, priority: 5, mirrors: [repo], version: 3, threshold: 1 });
    // remove + add would have forgotten version 3 and taken the stale copy.
    refuse(root, ['refresh'], 'E_ROLLBACK', /version 2 is older than version 3 already seen/);
    const current = repoCopy('moved-current');
    cpSync(repo, current, { recursive: true });
    ok(['--root', root, 'remote', 'set', 'main', '--url', current, '--no-mirrors']);
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0]).toMatchObject({ status: 'unchanged', version: 3 });
    expect(ok(['--root', root, '--json', 'install', 'app']).json.install).toContainEqual({ name: 'app', version: '3.0' });
    expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0]).toMatchObject({ url: current, mirrors: [] });
    // Bad input changes nothing.
    for (const [args, code] of [[['main'], 'E_USAGE'], [['main', '--priority', 'high'], 'E_USAGE'], [['main', '--url', 'ftp://x/r'], 'E_URL_INVALID'], [['nope', '--priority', '1'], 'E_REMOTE_UNKNOWN']] as const) {
      const before = state(root);
      const r = zpkg(['--root', root, '--json', 'remote', 'set', ...args]);
      expect(r.json.error.code, args.join(' ')).toBe(code);
      expect(state(root)).toEqual(before);
    }
  });

  it('the same version with other content', () => {
    const repo = repoCopy('fork');
    const root = image('fork-img', repo);
    craftRoot(repo, (s) => (s.created = new Date(Date.parse(s.created) + 1000).toISOString()), [K.k1.file]);
    refuse(root, ['refresh'], 'E_ROLLBACK', /version 2 differs from the version 2 already seen/);
  });

  it('expired root metadata (a freeze): refused by refresh and by install once the cached copy expires', async () => {
    const repo = repoCopy('frozen');
    const seen = image('frozen-seen', repo, { refresh: false });
    const fresh = image('frozen-fresh', repo, { refresh: false });
    // Only one command runs between the signature and the expiry it sets, and it has
    // 10 s: a busy machine cannot make it meet an expired copy. Then wait for the
    // expiry the metadata states, not for a fixed delay.
    ok(['repo', 'sign', repo, '--key', K.k1.file, '--expires', '10s']);
    ok(['--root', seen, 'refresh']);
    const expires = Date.parse(rootOf(repo).signed.expires);
    expect(Number.isFinite(expires)).toBe(true);
    while (Date.now() <= expires) await new Promise((r) => setTimeout(r, Math.max(10, expires - Date.now() + 10)));
    refuse(seen, ['refresh'], 'E_EXPIRED', /expired at/);
    refuse(seen, ['install', 'app'], 'E_EXPIRED', /expired at/);
    refuse(fresh, ['install', 'app'], 'E_EXPIRED', /expired at/);
    // Re-signing is the cure.
    ok(['repo', 'sign', repo, '--key', K.k1.file]);
    expect(ok(['--root', seen, '--json', 'install', 'app']).json.install).toHaveLength(2);
  });

  it('root metadata of another repository signed by the same key', () => {
    const repo = repoCopy('foreign');
    const other = join(work, 'other-repo');
    ok(['repo', 'create', other, '--key', K.k1.file]);
    for (let i = 0; i < 3; i++) ok(['repo', 'sign', other, '--key', K.k1.file]);
    // An image binds to the repository id it met first (an image that never refreshed has no id yet: its key is its only binding).
    const seen = image('foreign-seen', repo);
    cpSync(other, repo, { recursive: true });
    refuse(seen, ['refresh'], 'E_REPO_MISMATCH', /belongs to another repository/);
  });

  it('a catalog whose digest does not match the signed root', () => {
    const repo = repoCopy('catalog');
    const seen = image('catalog-seen', repo);
    const fresh = image('catalog-fresh', repo, { refresh: false });
    writePackage(join(work, 'src-app3'), { name: 'app', version: '3.0', depends: ['lib'] }, { 'usr/bin/app': 'v3\n' });
    ok(['build', join(work, 'src-app3'), '--repo', repo, '--key', K.k1.file]);
    const named = rootOf(repo).signed.catalog.digest.slice(7);
    const path = join(repo, 'catalog', `${named}.zst`);
    const other = readdirSync(join(repo, 'catalog')).find((f) => f !== `${named}.zst`)!;
    cpSync(join(repo, 'catalog', other), path); // a real catalog, but not the one signed
    refuse(seen, ['refresh'], 'E_DIGEST_MISMATCH', /catalog .* is corrupt/);
    refuse(fresh, ['install', 'app'], 'E_DIGEST_MISMATCH', /catalog .* is corrupt/);
  });

  it('a manifest whose digest does not match the catalog', () => {
    const repo = repoCopy('manifest');
    const root = image('manifest-img', repo);
    const dir = join(repo, 'manifests');
    for (const sub of readdirSync(dir)) {
      for (const f of readdirSync(join(dir, sub))) {
        // The record keeps its name; its manifest's bytes change (a setuid bit, another text).
        const digest = `sha256:${f.replace(/\.zst$/, '')}` as const;
        const text = readRecordParts(repo, digest).manifestBytes.toString('utf8');
        rewriteRecord(repo, digest, { manifestBytes: Buffer.from(text.replace('"0755"', '"4755"').replace('library', 'Library')) });
      }
    }
    refuse(root, ['install', 'app'], 'E_DIGEST_MISMATCH', /manifest|hashes to/);
  });

  it('a blob whose content does not match the manifest', () => {
    const repo = repoCopy('blob');
    const root = image('blob-img', repo);
    tamperBlob(repo, digestOf('library\n'), () => Buffer.from('evil library\n'));
    refuse(root, ['install', 'app'], 'E_DIGEST_MISMATCH', /is corrupt: it decompresses to content hashing to/);
    expect(existsSync(join(root, 'usr/lib/lib.so'))).toBe(false);
  });
});

describe('thresholds', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(work, 'two-keys');
    ok(['repo', 'create', repo, '--key', K.k1.file, '--key', K.k2.file, '--threshold', '2']);
    ok(['build', join(work, 'src-lib'), '--repo', repo, '--key', K.k1.file, '--key', K.k2.file]);
  });

  it('a publisher with one of two required keys is refused and writes nothing', () => {
    const before = snapshot(repo);
    const r = zpkg(['--json', 'build', join(work, 'src-app'), '--repo', repo, '--key', K.k1.file]);
    expect(r.json.error.code).toBe('E_KEY_REQUIRED');
    expect(r.json.error.message).toMatch(/must be signed by 2 of its keys .* only 1 given/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('root metadata signed by one key, or by the same key twice, is refused by the client', () => {
    const copy = join(work, 'two-keys-copy');
    cpSync(repo, copy, { recursive: true });
    const root = image('threshold-img', copy);
    expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0]).toMatchObject({ threshold: 2, keys: [K.k1.id, K.k2.id].sort() });
    craftRoot(copy, (s) => (s.version += 1), [K.k1.file]);
    refuse(root, ['refresh'], 'E_SIGNATURE', /signed by 1 trusted key, but 2 are required/);
    craftRoot(copy, (s) => (s.version += 1), [K.k1.file, K.k1.file]);
    refuse(root, ['refresh'], 'E_SIGNATURE', /signed by 1 trusted key, but 2 are required/);
    craftRoot(copy, (s) => (s.version += 1), [K.k1.file, K.k2.file]);
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0].version).toBe(5);
  });
});

describe('key rotation', () => {
  it('a rotation signed only by the new key is refused', () => {
    const repo = repoCopy('rogue-rotation');
    const root = image('rogue-img', repo);
    const k3 = readSigningKey(K.k3.file);
    const rotate = (s: Json): void => {
      s.version += 1;
      s.keys = { [k3.id]: k3.entry };
      s.keyGeneration = 2;
    };
    craftRoot(repo, rotate, [K.k3.file], 'keys/2.json');
    craftRoot(repo, rotate, [K.k3.file]);
    refuse(root, ['refresh'], 'E_UNTRUSTED_KEY', /rotation to generation 2 .* signed only by keys this image does not trust/);
  });

  it('a new key set without a rotation record is refused', () => {
    const repo = repoCopy('silent-rotation');
    const root = image('silent-img', repo);
    const k3 = readSigningKey(K.k3.file);
    craftRoot(repo, (s) => {
      s.version += 1;
      s.keys = { ...s.keys, [k3.id]: k3.entry };
    }, [K.k1.file, K.k3.file]);
    refuse(root, ['refresh'], 'E_UNTRUSTED_KEY', /changes the repository's keys without a rotation/);
  });

  it('a proper rotation is followed, also by an image that skipped it; the old key is then refused', () => {
    const repo = repoCopy('rotation');
    const early = image('rotation-early', repo);
    const late = image('rotation-late', repo);
    const r = ok(['--json', 'repo', 'rotate', repo, '--key', K.k1.file, '--new-key', K.k2.file]).json;
    expect(r).toMatchObject({ rotated: true, keyGeneration: 2, keys: [K.k2.id], threshold: 1 });
    expect(existsSync(join(repo, 'keys/2.json'))).toBe(true);
    expect(ok(['--root', early, '--json', 'refresh']).json.remotes[0].status).toBe('updated');
    expect(ok(['--root', early, '--json', 'remote', 'list']).json.remotes[0].keys).toEqual([K.k2.id]);
    // The old key may no longer publish; the new one may.
    expect(zpkg(['--json', 'repo', 'sign', repo, '--key', K.k1.file]).json.error.code).toBe('E_UNTRUSTED_KEY');
    writePackage(join(work, 'src-app4'), { name: 'app', version: '4.0', depends: ['lib'] }, { 'usr/bin/app': 'v4\n' });
    ok(['build', join(work, 'src-app4'), '--repo', repo, '--key', K.k2.file]);
    // `late` still trusts K1 at generation 1: it follows keys/2.json (signed by K1 and K2) to the K2-signed root.
    expect(ok(['--root', late, '--json', 'refresh']).json.remotes[0].version).toBe(4);
    expect(ok(['--root', late, '--json', 'install', 'app']).json.install).toContainEqual({ name: 'app', version: '4.0' });
    // A root signed by the retired key alone is refused by both.
    craftRoot(repo, (s) => {
      const k1 = readSigningKey(K.k1.file);
      s.version += 1;
      s.keys = { [k1.id]: k1.entry };
    }, [K.k1.file]);
    refuse(early, ['refresh'], 'E_UNTRUSTED_KEY', /does not trust|without a rotation/);
  });

  it('an image follows several rotations it skipped, including a threshold change', () => {
    const repo = repoCopy('rotations');
    const root = image('rotations-img', repo);
    ok(['repo', 'rotate', repo, '--key', K.k1.file, '--new-key', K.k2.file]);
    ok(['repo', 'rotate', repo, '--key', K.k2.file, '--new-key', K.k2.file, '--new-key', K.k3.file, '--threshold', '2']);
    ok(['repo', 'sign', repo, '--key', K.k2.file, '--key', K.k3.file]);
    expect(ok(['--json', 'repo', 'verify', repo]).json.problems).toEqual([]);
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0].version).toBe(5);
    expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0]).toMatchObject({ keys: [K.k2.id, K.k3.id].sort(), threshold: 2 });
    // Now one of the two keys is not enough.
    craftRoot(repo, (s) => (s.version += 1), [K.k2.file]);
    refuse(root, ['refresh'], 'E_SIGNATURE', /signed by 1 trusted key, but 2 are required/);
  });

  it('an image that skipped a rotation whose record is gone is refused', () => {
    const repo = repoCopy('lost-rotation');
    const root = image('lost-img', repo);
    ok(['repo', 'rotate', repo, '--key', K.k1.file, '--new-key', K.k2.file]);
    rmSync(join(repo, 'keys'), { recursive: true });
    refuse(root, ['refresh'], 'E_UNTRUSTED_KEY', /rotation to generation 2 .* is missing/);
  });
});
