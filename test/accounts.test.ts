/**
 * `user` and `group` actions: accounts created in the image's etc/passwd and
 * etc/group before files are staged, so a package's files can be owned by them.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { addMainRemote } from './helpers/lifecycle.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
let image: string;

beforeEach(() => {
  work = tempDir('zpkg-accounts-');
  repo = join(work, 'repo');
  image = join(work, 'image');
  mkdirSync(join(image, 'etc'), { recursive: true });
  writeFileSync(join(image, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nexisting:x:100:100::/:/bin/false\n');
  writeFileSync(join(image, 'etc/group'), 'root:x:0:\ndaemon:x:1:\nexisting:x:100:\n');
  writeFileSync(join(image, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  ok(['repo', 'create', repo]);
});

function build(name: string, recipe: Record<string, unknown>, files: Record<string, string>): void {
  ok(['build', writePackage(join(work, name), { name, version: '1', ...recipe }, files), '--repo', repo]);
}

describe('accounts', () => {
  it('creates declared groups and users with free system ids; files are owned by them; removal keeps them', () => {
    build('redis', {
      users: [{ name: 'redis', home: '/var/lib/redis', gecos: 'Redis server' }],
      groups: [{ name: 'cache' }],
      attributes: [{ path: 'var/lib/redis', owner: 'redis', group: 'redis' }, { path: 'etc/redis.conf', group: 'cache' }],
    }, { 'var/lib/redis/.keep': '', 'etc/redis.conf': 'port 6379\n' });
    addMainRemote(image, repo);
    const dry = ok(['--root', image, '--json', 'install', '-n', 'redis']).json;
    expect(dry.install).toEqual([{ name: 'redis', version: '1' }]);
    const r = ok(['--root', image, '--json', 'install', 'redis']);
    // `existing` holds 100: the next free ids are taken, in declaration order.
    expect(r.json.accounts).toEqual({ users: [{ name: 'redis', uid: 101, gid: 102 }], groups: [{ name: 'cache', gid: 101 }, { name: 'redis', gid: 102 }] });
    expect(readFileSync(join(image, 'etc/passwd'), 'utf8')).toContain('redis:x:101:102:Redis server:/var/lib/redis:/usr/sbin/nologin\n');
    expect(readFileSync(join(image, 'etc/group'), 'utf8')).toContain('cache:x:101:\nredis:x:102:\n');
    expect(readFileSync(join(image, 'etc/shadow'), 'utf8')).toContain('redis:!:::::::\n');
    expect(statSync(join(image, 'etc/shadow')).mode & 0o777).toBe(0o640);
    if (process.getuid?.() === 0) {
      expect(statSync(join(image, 'var/lib/redis')).uid).toBe(101);
      expect(statSync(join(image, 'var/lib/redis')).gid).toBe(102);
      expect(statSync(join(image, 'etc/redis.conf')).gid).toBe(101);
    }
    expect(ok(['--root', image, 'verify']).status).toBe(0);
    ok(['--root', image, 'remove', 'redis']);
    expect(readFileSync(join(image, 'etc/passwd'), 'utf8')).toContain('redis:x:101:');
    // Installing again reuses the accounts: nothing new is created.
    expect(ok(['--root', image, '--json', 'install', 'redis']).json.accounts).toEqual({ users: [], groups: [] });
  });

  it('a declared uid taken by another account is refused before anything changes', () => {
    build('clash', { users: [{ name: 'clash', uid: 1 }] }, { 'etc/clash': 'x' });
    addMainRemote(image, repo);
    const before = snapshot(image, (rel) => rel.startsWith('var/lib/zpkg'));
    const r = zpkg(['--root', image, '--json', 'install', 'clash']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_MANIFEST_INVALID');
    expect(r.json.error.message).toContain('user `clash` wants uid 1, which the image already gives to user `daemon`');
    expect(snapshot(image, (rel) => rel.startsWith('var/lib/zpkg'))).toEqual(before);
  });

  it('a user whose group nobody declares is refused', () => {
    build('orphan', { users: [{ name: 'orphan', group: 'nowhere' }] }, { 'etc/orphan': 'x' });
    addMainRemote(image, repo);
    const r = zpkg(['--root', image, '--json', 'install', 'orphan']);
    expect(r.status).toBe(1);
    expect(r.json.error.message).toContain('has group `nowhere`, which neither the image nor the transaction declares');
  });
});
