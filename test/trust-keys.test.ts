// Keys and the rules around them, through the real binary: `repo keygen`, which
// keys a publisher needs, how an image is told what to trust (`remote add
// --key` with a file, a printed key or a fingerprint; `--insecure` only when
// asked), and `repo verify` checking a repository's own signatures.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '../src/core/digest.js';
import { tamperBlob } from '../bench/shared/tamper-pack.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
const K: Record<'k1' | 'k2' | 'k3', { file: string; pub: string; id: string; text: string }> = {} as never;
/** Runs without the test suite's default key, as a publisher who gave none. */
const NO_KEY = { env: { ZPKG_REPO_KEY: '' } };

beforeAll(() => {
  work = tempDir('zpkg-trust-keys-');
  for (const k of ['k1', 'k2', 'k3'] as const) {
    const r = ok(['--json', 'repo', 'keygen', join(work, k)]).json;
    K[k] = { file: r.privateKey, pub: r.publicKeyFile, id: r.keyid, text: r.publicKey };
  }
  writePackage(join(work, 'src-a'), { name: 'a', version: '1.0' }, { 'etc/a': 'alpha\n' });
  writePackage(join(work, 'src-b'), { name: 'b', version: '1.0' }, { 'etc/b': 'beta\n' });
});

describe('repo keygen', () => {
  it('writes a 0600 private key and a public key whose fingerprint is the sha256 of its raw bytes; never overwrites', () => {
    expect(statSync(K.k1.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(K.k1.file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(K.k1.pub, 'utf8')).toBe(`${K.k1.text}\n`);
    const raw = Buffer.from(K.k1.text.slice('ed25519:'.length), 'base64');
    expect(raw).toHaveLength(32);
    expect(K.k1.id).toBe(createHash('sha256').update(raw).digest('hex'));
    const before = readFileSync(K.k1.file);
    const again = zpkg(['--json', 'repo', 'keygen', K.k1.file]);
    expect(again.json.error.code).toBe('E_KEY_EXISTS');
    expect(again.status).toBe(1);
    expect(readFileSync(K.k1.file)).toEqual(before);
  });

  it('a private key others can read is refused', () => {
    const open = join(work, 'open.key');
    copyFileSync(K.k1.file, open);
    chmodSync(open, 0o644);
    const r = zpkg(['--json', 'repo', 'create', join(work, 'never'), '--key', open]);
    expect(r.json.error.code).toBe('E_KEY_INVALID');
    expect(r.json.error.hint).toMatch(/chmod 600/);
    expect(existsSync(join(work, 'never'))).toBe(false);
  });
});

describe('publishing to a signed repository', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(work, 'signed');
    ok(['repo', 'create', repo, '--key', K.k1.file]);
    ok(['build', join(work, 'src-a'), '--repo', repo, '--key', K.k1.file]);
  });

  it('without its key, every publishing command is refused and writes nothing', () => {
    const index = join(work, 'Packages');
    writeFileSync(index, 'Package: x\nVersion: 1\nArchitecture: all\n\n');
    const before = snapshot(repo);
    for (const args of [
      ['build', join(work, 'src-b'), '--repo', repo],
      ['repo', 'remove', repo, 'a@1.0'],
      ['repo', 'import-index', index, '--repo', repo],
      ['repo', 'sign', repo],
      ['repo', 'rotate', repo, '--new-key', K.k2.file],
    ]) {
      const r = zpkg(['--json', ...args], NO_KEY);
      expect(r.json?.error?.code, `${args.join(' ')}: ${r.stdout}`).toBe('E_KEY_REQUIRED');
      expect(r.json.error.message).toMatch(/must be signed by 1 of its keys \(.*\); no(ne)? given/);
    }
    expect(snapshot(repo)).toEqual(before);
  });

  it('a key that is not one of its keys is refused', () => {
    const before = snapshot(repo);
    const r = zpkg(['--json', 'build', join(work, 'src-b'), '--repo', repo, '--key', K.k3.file]);
    expect(r.json.error.code).toBe('E_UNTRUSTED_KEY');
    expect(r.json.error.message).toMatch(new RegExp(`key ${K.k3.id.slice(0, 16)} is not one of the repository's keys`));
    expect(snapshot(repo)).toEqual(before);
  });

  it('ZPKG_REPO_KEY stands for --key', () => {
    const copy = join(work, 'signed-env');
    cpSync(repo, copy, { recursive: true });
    expect(ok(['--json', 'build', join(work, 'src-b'), '--repo', copy], { env: { ZPKG_REPO_KEY: `${K.k3.file}:${K.k1.file}` } }).json.publish.repoVersion).toBe(3);
  });

  it('a threshold above the key count is bad input; --threshold without a key and a bad --expires are usage errors', () => {
    const over = zpkg(['--json', 'repo', 'create', join(work, 't1'), '--key', K.k1.file, '--key', K.k2.file, '--threshold', '3']);
    expect(over.json.error.code).toBe('E_INPUT_INVALID');
    expect(over.status).toBe(1);
    expect(zpkg(['--json', 'repo', 'create', join(work, 't2'), '--threshold', '1'], NO_KEY).json.error.code).toBe('E_USAGE');
    expect(zpkg(['--json', 'repo', 'sign', repo, '--key', K.k1.file, '--expires', 'soon']).json.error.code).toBe('E_USAGE');
    expect(existsSync(join(work, 't1'))).toBe(false);
  });

  it('repo verify checks the signatures and rotation records, not only digests', () => {
    const copy = join(work, 'signed-verify');
    cpSync(repo, copy, { recursive: true });
    ok(['repo', 'rotate', copy, '--key', K.k1.file, '--new-key', K.k1.file, '--new-key', K.k2.file, '--threshold', '2']);
    expect(ok(['--json', 'repo', 'verify', copy]).json.problems).toEqual([]);
    const text = readFileSync(join(copy, 'root.json'), 'utf8');
    writeFileSync(join(copy, 'root.json'), text.replace('"threshold": 2', '"threshold": 1'));
    const r = zpkg(['--json', 'repo', 'verify', copy]);
    expect(r.status).toBe(1);
    expect(r.json.problems).toContainEqual({ path: 'root.json', problem: expect.stringMatching(/bad signature/) });
  });
});

describe('remote add', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(work, 'remote-repo');
    ok(['repo', 'create', repo, '--key', K.k1.file]);
    ok(['build', join(work, 'src-a'), '--repo', repo, '--key', K.k1.file]);
  });

  it('without a key is refused and creates nothing; --key with --insecure is a usage error', () => {
    const root = join(work, 'no-key');
    const r = zpkg(['--root', root, '--json', 'remote', 'add', 'main', repo]);
    expect(r.json.error.code).toBe('E_KEY_REQUIRED');
    expect(r.json.error.hint).toMatch(/--key KEY\.pub/);
    expect(existsSync(root)).toBe(false);
    expect(zpkg(['--root', root, '--json', 'remote', 'add', 'main', repo, '--key', K.k1.pub, '--insecure']).json.error.code).toBe('E_USAGE');
    expect(existsSync(root)).toBe(false);
  });

  it('takes the .pub file, the printed key, or the fingerprint (with or without sha256:)', () => {
    for (const [i, key] of [K.k1.pub, K.k1.text, K.k1.id, `sha256:${K.k1.id}`].entries()) {
      const root = join(work, `by-key-${i}`);
      ok(['--root', root, 'remote', 'add', 'main', repo, '--key', key]);
      expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0]).toMatchObject({ trust: 'signed', keys: [K.k1.id], threshold: 0 });
      ok(['--root', root, 'install', 'a']);
      expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes[0]).toMatchObject({ trust: 'signed', keys: [K.k1.id], threshold: 1, version: 2 });
    }
  });

  it('refuses a private key, or something that is no key', () => {
    const root = join(work, 'bad-keys');
    expect(zpkg(['--root', root, '--json', 'remote', 'add', 'main', repo, '--key', K.k1.file]).json.error.message).toMatch(/is a private key/);
    expect(zpkg(['--root', root, '--json', 'remote', 'add', 'main', repo, '--key', 'deadbeef']).json.error.code).toBe('E_KEY_INVALID');
    expect(zpkg(['--root', root, '--json', 'remote', 'add', 'main', repo, '--key', 'ed25519:AAAA']).json.error.code).toBe('E_KEY_INVALID');
    expect(existsSync(root)).toBe(false);
  });

  it('a fingerprint of a key the repository does not have is refused at the first refresh', () => {
    const root = join(work, 'wrong-fp');
    ok(['--root', root, 'remote', 'add', 'main', repo, '--key', K.k3.id]);
    const r = zpkg(['--root', root, '--json', 'refresh']);
    expect(r.json.error.code).toBe('E_UNTRUSTED_KEY');
    expect(r.json.error.message).toMatch(/none of the keys given at `remote add`/);
    expect(existsSync(join(root, 'var/lib/zpkg/repos/main/root.json'))).toBe(false);
  });
});

describe('insecure remotes', () => {
  let repo: string;
  beforeAll(() => {
    repo = join(work, 'unsigned');
    const created = ok(['--json', 'repo', 'create', repo], NO_KEY).json;
    expect(created).toMatchObject({ keys: [], threshold: 0, expires: null });
    ok(['build', join(work, 'src-a'), '--repo', repo], NO_KEY);
    // --key on an unsigned repository is a mistake worth saying; the environment's key is not.
    expect(zpkg(['--json', 'build', join(work, 'src-b'), '--repo', repo, '--key', K.k1.file]).json.error.message).toMatch(/unsigned repository/);
  });

  it('are shown as insecure, still check digests, still refuse a rollback', () => {
    const root = join(work, 'insecure');
    ok(['--root', root, 'remote', 'add', 'main', repo, '--insecure']);
    expect(ok(['--root', root, 'remote', 'list']).stdout).toMatch(/main +0 +\S+ +INSECURE \(no key\)/);
    ok(['--root', root, 'refresh']);
    const old = readFileSync(join(repo, 'root.json'));
    ok(['build', join(work, 'src-b'), '--repo', repo], NO_KEY);
    ok(['--root', root, 'refresh']);
    tamperBlob(repo, digestOf('alpha\n'), () => Buffer.from('omega\n'));
    const r = zpkg(['--root', root, '--json', 'install', 'a']);
    expect(r.json.error.code).toBe('E_DIGEST_MISMATCH');
    expect(existsSync(join(root, 'etc/a'))).toBe(false);
    writeFileSync(join(repo, 'root.json'), old);
    expect(zpkg(['--root', root, '--json', 'refresh']).json.error.code).toBe('E_ROLLBACK');
  });

  it('an unsigned repository becomes signed by rotating in a key; an image trusting that key then accepts it', () => {
    const copy = join(work, 'unsigned-rotated');
    ok(['repo', 'create', copy], NO_KEY);
    ok(['build', join(work, 'src-b'), '--repo', copy], NO_KEY);
    const r = ok(['--json', 'repo', 'rotate', copy, '--new-key', K.k2.file], NO_KEY).json;
    expect(r).toMatchObject({ rotated: true, keyGeneration: 2, keys: [K.k2.id], threshold: 1 });
    const root = join(work, 'after-rotation');
    mkdirSync(root);
    ok(['--root', root, 'remote', 'add', 'main', copy, '--key', K.k2.pub]);
    ok(['--root', root, 'install', 'b']);
    expect(readFileSync(join(root, 'etc/b'), 'utf8')).toBe('beta\n');
  });
});
