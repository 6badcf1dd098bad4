/**
 * Usage errors (exit status 2) are for argv only. What the library refuses —
 * a credential, a repository URL, a key file that exists, a malformed value, a
 * missing recipes directory, an unknown service manager — has its own code and
 * exits 1. Each case through the library, and through the binary where a
 * command reaches it.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRecipes } from '../src/build/build-all.js';
import { createServiceManager } from '../src/hooks/services/detect.js';
import { checkRemote } from '../src/image/remotes.js';
import { DirBackend } from '../src/repo/dir-backend.js';
import { HttpBackend } from '../src/repo/http-backend.js';
import { createRepo } from '../src/repo/manage.js';
import { openRepoReader, openRepoWriter } from '../src/repo/open.js';
import { readSigningKey, writeKeyPair } from '../src/repo/trust/key-file.js';
import { keySetOf, prepareRoot } from '../src/repo/trust/sign.js';
import { zpkgAsync } from './helpers/recipes.js';
import { startDepot, type Server } from './helpers/servers.js';
import { ok, tempDir, TEST_KEY, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
beforeAll(() => {
  work = tempDir('zpkg-error-codes-');
});

/** What `fn` throws: its code (a ZpkgError's) and message. */
async function thrown(fn: () => unknown): Promise<{ code?: string; message: string }> {
  try {
    await fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a throw');
}

const NO_KEY = { env: { ZPKG_REPO_KEY: '' } };

function refusedWith(args: string[], code: string, message: RegExp, options: Parameters<typeof zpkg>[1] = {}): void {
  const r = zpkg(['--json', ...args], options);
  expect(r.json?.error, r.stdout + r.stderr).toMatchObject({ code, message: expect.stringMatching(message) });
  expect(r.status).toBe(1);
}

describe('E_URL_INVALID: a bad or unsupported repository URL', () => {
  it('in the library', async () => {
    expect(await thrown(() => openRepoReader('ftp://example.invalid/r'))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/`ftp` scheme is not supported/) });
    expect(await thrown(() => openRepoWriter('gopher://example.invalid/r'))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/cannot publish to/) });
    expect(await thrown(() => new HttpBackend('http://[nope'))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/is not a valid URL/) });
    expect(await thrown(() => new HttpBackend('ftp://host/r'))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/not http\(s\)/) });
    expect(await thrown(() => openRepoReader('s3://'))).toMatchObject({ code: 'E_URL_INVALID' });
    expect(await thrown(() => openRepoReader('s3://bucket/p?colour=blue'))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/unknown parameter `colour`/) });
    expect(await thrown(() => openRepoReader('s3://bucket/p?endpoint=ftp://x'))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/must be an http\(s\) URL/) });
    const archive = join(work, 'file.zpar');
    writeFileSync(archive, 'x');
    expect(await thrown(() => openRepoWriter(archive))).toMatchObject({ code: 'E_URL_INVALID', message: expect.stringMatching(/is a file/) });
  });

  it('through the binary: publishing to an unsupported scheme exits 1', () => {
    const src = writePackage(join(work, 'p'), { name: 'p', version: '1' }, { 'usr/share/p': 'p\n' });
    refusedWith(['build', src, '--repo', 'ftp://example.invalid/r'], 'E_URL_INVALID', /cannot publish to `ftp:/);
    refusedWith(['repo', 'list', 'rsync://example.invalid/r'], 'E_URL_INVALID', /scheme is not supported/);
  });
});

describe('E_AUTH: a credential missing or refused', () => {
  let server: HttpServer;
  let url: string;
  let status = 401;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('no entry\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/repo/`;
  });
  afterAll(() => server?.close());

  it('a web server answering 401 or 403 to a refresh', async () => {
    const root = join(work, 'auth-image');
    ok(['--root', root, 'remote', 'add', 'web', url, '--insecure']);
    for (const s of [401, 403]) {
      status = s;
      const r = await zpkgAsync(['--root', root, '--json', 'refresh']);
      expect(r.json?.error, r.stdout + r.stderr).toMatchObject({ code: 'E_AUTH', message: expect.stringMatching(new RegExp(`HTTP ${s}`)) });
      expect(r.status).toBe(1);
    }
  });

  it('publishing over http without a token, in the library and through the binary', async () => {
    const saved = process.env.ZPKG_TOKEN;
    delete process.env.ZPKG_TOKEN;
    try {
      expect(await thrown(() => openRepoWriter('http://127.0.0.1:1/r'))).toMatchObject({ code: 'E_AUTH', message: expect.stringMatching(/needs a depot token/) });
    } finally {
      if (saved !== undefined) process.env.ZPKG_TOKEN = saved;
    }
    refusedWith(['repo', 'gc', 'http://127.0.0.1:1/r'], 'E_AUTH', /needs a depot token/, { env: { ZPKG_TOKEN: '' } });
  });

  describe("the depot's own answers", () => {
    let depot: Server;
    beforeAll(async () => {
      const dir = join(work, 'depot');
      ok(['repo', 'create', dir]);
      depot = await startDepot(dir, ['the-token']);
    });
    afterAll(async () => depot?.stop());

    it('carry the code the client turns back into its error', async () => {
      const put = (path: string, headers: Record<string, string>): Promise<Response> => fetch(`${depot.url}/${path}`, { method: 'PUT', body: 'x', headers: { 'content-type': 'application/octet-stream', ...headers } });
      const anonymous = await put(`packs/ff/${'f'.repeat(64)}.pack`, {});
      expect(anonymous.status).toBe(401);
      expect((await anonymous.json()).error).toMatchObject({ code: 'E_AUTH', message: 'publishing needs a valid bearer token' });
      const auth = { authorization: 'Bearer the-token' };
      const noLease = await put('root.json', auth);
      expect([noLease.status, (await noLease.json()).error.code]).toEqual([409, 'E_REPO_LOCKED']);
      const notRepoPath = await put('etc/passwd', auth);
      expect([notRepoPath.status, (await notRepoPath.json()).error.code]).toEqual([400, 'E_INPUT_INVALID']);
      const escapes = await fetch(`${depot.url}/_zpkg/list?prefix=${encodeURIComponent('../x')}`, { headers: auth });
      expect([escapes.status, (await escapes.json()).error.code]).toEqual([400, 'E_PATH_UNSAFE']);
      // A refused token, through the binary: exit 1.
      const wrong = await zpkgAsync(['--json', 'repo', 'gc', depot.url], { ZPKG_TOKEN: 'not-the-token' });
      expect([wrong.status, wrong.json?.error?.code]).toEqual([1, 'E_AUTH']);
    });
  });
});

describe('E_KEY_EXISTS: a key file is never overwritten', () => {
  it('the private key or only its .pub', async () => {
    const file = join(work, 'k');
    writeKeyPair(file);
    expect(await thrown(() => writeKeyPair(file))).toMatchObject({ code: 'E_KEY_EXISTS' });
    const lone = join(work, 'lone');
    writeFileSync(`${lone}.pub`, 'ed25519:x\n');
    expect(await thrown(() => writeKeyPair(lone))).toMatchObject({ code: 'E_KEY_EXISTS', message: expect.stringMatching(/lone\.pub exists already/) });
    refusedWith(['repo', 'keygen', lone], 'E_KEY_EXISTS', /exists already: a key is never overwritten/);
  });
});

describe('E_INPUT_INVALID: a malformed value given to a library function', () => {
  it('thresholds, expiries, remote priorities and both trusts at once', async () => {
    const key = readSigningKey(TEST_KEY);
    expect(await thrown(() => keySetOf([key], 2))).toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/threshold 2 must be between 1 and/) });
    expect(await thrown(() => keySetOf([key], 0))).toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(await thrown(() => prepareRoot('r', undefined, { keys: [key], expiresIn: 0 }, keySetOf([key])))).toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/expiry/) });
    expect(await thrown(() => prepareRoot('r', undefined, { keys: [key], expiresIn: 1.5 }, keySetOf([key])))).toMatchObject({ code: 'E_INPUT_INVALID' });
    const dir = join(work, 'threshold-without-keys');
    expect(await thrown(() => createRepo(new DirBackend(dir), { threshold: 1 }))).toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/threshold needs signing keys/) });
    expect(await thrown(() => checkRemote({ name: 'r', url: work, priority: 1.5, insecure: true }))).toMatchObject({ code: 'E_INPUT_INVALID' });
    expect(await thrown(() => checkRemote({ name: 'r', url: work, keys: ['a'.repeat(64)], insecure: true }))).toMatchObject({ code: 'E_INPUT_INVALID', message: expect.stringMatching(/not both/) });
  });

  it('through the binary: a rotation to a threshold above the key count exits 1', () => {
    const repo = join(work, 'signed');
    ok(['repo', 'create', repo]);
    refusedWith(['repo', 'rotate', repo, '--threshold', '5'], 'E_INPUT_INVALID', /threshold 5 must be between 1 and the repository's 1 keys/);
  });
});

describe('a remote name is a name', () => {
  it('E_NAME_INVALID, before the image is made', () => {
    const root = join(work, 'bad-name');
    refusedWith(['--root', root, 'remote', 'add', 'no/slashes', work, ...TRUST], 'E_NAME_INVALID', /remote name `no\/slashes` is invalid/);
    expect(existsSync(root)).toBe(false);
  });
});

describe('keys and unsigned repositories', () => {
  it('--key on an unsigned repository is a key it does not have; re-signing it needs a key it does not have', () => {
    const repo = join(work, 'unsigned');
    ok(['repo', 'create', repo], NO_KEY);
    const src = writePackage(join(work, 'u'), { name: 'u', version: '1' }, { 'usr/share/u': 'u\n' });
    refusedWith(['build', src, '--repo', repo, '--key', TEST_KEY], 'E_UNTRUSTED_KEY', /unsigned repository: --key has nothing to sign with/);
    refusedWith(['repo', 'sign', repo], 'E_KEY_REQUIRED', /unsigned repository: there is nothing to re-sign/);
  });
});

describe('E_NOT_FOUND and E_CONFIG_INVALID', () => {
  it('a recipes directory that is missing, not a directory, or holds no recipe', async () => {
    expect(await thrown(() => findRecipes(join(work, 'missing')))).toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/does not exist/) });
    const empty = join(work, 'no-recipes');
    mkdirSync(empty);
    expect(await thrown(() => findRecipes(empty))).toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringMatching(/no recipe/) });
  });

  it('a tokens file that does not exist', () => {
    const repo = join(work, 'served');
    ok(['repo', 'create', repo]);
    refusedWith(['serve', repo, '--listen', '127.0.0.1:0', '--tokens-file', join(work, 'no-tokens')], 'E_NOT_FOUND', /--tokens-file/);
  });

  it('an unknown service manager', async () => {
    expect(await thrown(() => createServiceManager('upstart'))).toMatchObject({ code: 'E_CONFIG_INVALID', message: expect.stringMatching(/unknown service manager "upstart"/) });
  });
});

describe('an image that has no state yet is not made one by a command that cannot succeed', () => {
  it('install, update and sync into a directory with no zpkg state: E_NO_REMOTES, and nothing is created — not even the directory', () => {
    const plain = join(work, 'plain-dir');
    mkdirSync(plain);
    writeFileSync(join(plain, 'mine'), 'x');
    const absent = join(work, 'absent', 'root');
    for (const root of [plain, absent]) {
      for (const args of [['install', 'app'], ['update'], ['sync', '--set', 'rel=1']]) {
        const r = zpkg(['--root', root, '--json', ...args]);
        expect([r.status, r.json?.error?.code], `${root} ${args.join(' ')}`).toEqual([1, 'E_NO_REMOTES']);
        expect(r.json.error.message).toBe(`image ${root} has no remotes to install from (it has no zpkg state yet)`);
      }
    }
    expect(readdirSync(plain)).toEqual(['mine']);
    expect(existsSync(join(work, 'absent'))).toBe(false);
  });

  it('commands that act on what is installed give their answer on a directory with no state, and create none', () => {
    const plain = join(work, 'plain-dir-2');
    mkdirSync(plain);
    const answers: [string[], number, string][] = [
      [['remove', 'x'], 1, 'E_NOT_INSTALLED'],
      [['fix'], 0, 'nothing to repair'],
      [['rollback', '0'], 0, 'generation 0 holds what the image holds now: nothing to do'],
      [['gc'], 0, 'kept generations (none); trimmed 0;'],
      [['mark', 'auto', 'x'], 1, 'E_NOT_INSTALLED'],
      [['hold', 'x'], 1, 'E_NOT_INSTALLED'],
      [['unhold', 'x'], 1, 'E_NOT_INSTALLED'],
      [['recover'], 0, 'nothing to recover'],
      [['refresh'], 0, 'no remotes to refresh'],
      [['revert', '/etc/x'], 1, 'E_NOT_FOUND'],
      [['remote', 'remove', 'x'], 1, 'E_REMOTE_UNKNOWN'],
    ];
    for (const [args, status, said] of answers) {
      const r = zpkg(['--root', plain, ...(status === 0 ? [] : ['--json']), ...args]);
      expect(r.status, args.join(' ')).toBe(status);
      if (status === 0) expect(r.stdout, args.join(' ')).toContain(said);
      else expect(r.json.error.code, args.join(' ')).toBe(said);
      expect(readdirSync(plain), args.join(' ')).toEqual([]);
    }
    // A root that does not exist is not made one.
    const absent = join(work, 'absent-2');
    expect(zpkg(['--root', absent, '--json', 'remove', 'x']).json.error.message).toBe(`image root ${absent} does not exist`);
    expect(existsSync(absent)).toBe(false);
    // What does record something on a fresh image still starts its state: a range lock before the first install.
    ok(['--root', plain, 'hold', 'x (<< 2)']);
    expect(readdirSync(plain)).toEqual(['var']);
  });
});

describe('argv stays a usage error: exit 2', () => {
  it('an empty --root, --state-dir or --cache-dir (a script\'s empty variable) names no directory, not the current one', () => {
    const cwd = join(work, 'cwd');
    mkdirSync(cwd);
    for (const flags of [['--root', ''], ['--root', ' '], ['--state-dir', ''], ['--cache-dir', '']]) {
      for (const args of [['list'], ['remote', 'add', 'r', work, ...TRUST], ['install', 'app']]) {
        const r = zpkg([...flags, '--json', ...args], { cwd });
        expect([r.status, r.json?.error?.code], `${flags.join('=')} ${args.join(' ')}`).toEqual([2, 'E_USAGE']);
        expect(r.json.error.message).toBe(`${flags[0]} is empty`);
      }
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('a flag value that is not what the flag takes', () => {
    for (const args of [['remote', 'add', 'r', work, '--priority', 'high', ...TRUST], ['repo', 'sign', work, '--expires', 'soon'], ['remote', 'add', 'r', work, '--insecure', ...TRUST]]) {
      const r = zpkg(['--root', join(work, 'usage'), '--json', ...args]);
      expect([r.status, r.json?.error?.code], args.join(' ')).toEqual([2, 'E_USAGE']);
    }
  });
});
