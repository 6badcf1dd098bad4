import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../src/core/canonical-json.js';
import { digestOf } from '../src/core/digest.js';
import { ZpkgError } from '../src/core/errors.js';
import { decodeManifest, encodeManifest, validateManifest, type Manifest } from '../src/core/manifest.js';

const D = `sha256:${'a'.repeat(64)}`;

function base(actions: unknown[] = [], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { format: 1, name: 'foo', version: '1.0-1', arch: 'all', summary: 's', description: 'd', license: 'MIT', depends: ['bar (>= 2) | baz'], conflicts: [], provides: ['virt (= 1)'], replaces: [], actions, ...extra };
}

const file = (path: string, extra: Record<string, unknown> = {}) => ({ type: 'file', path, mode: '0644', owner: 'root', group: 'root', size: 3, digest: D, ...extra });
const dir = (path: string) => ({ type: 'dir', path, mode: '0755', owner: 'root', group: 'root' });
const link = (path: string, target: string) => ({ type: 'link', path, target, owner: 'root', group: 'root' });

function refusal(raw: unknown): string {
  try {
    validateManifest(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ZpkgError);
    expect((err as ZpkgError).code).toBe('E_MANIFEST_INVALID');
    return (err as ZpkgError).message;
  }
  throw new Error('the manifest was accepted');
}

describe('manifest validation', () => {
  it('accepts a well-formed manifest with every action type', () => {
    const m = base([
      { type: 'group', name: 'svc', gid: 900 },
      { type: 'user', name: 'svc', uid: 900, group: 'svc', home: '/var/lib/svc', shell: '/bin/false' },
      dir('etc'),
      file('etc/foo.conf', { config: true, restart: ['foo'] }),
      link('etc/alias', 'foo.conf'),
      { type: 'hardlink', path: 'etc/foo.hard', target: 'etc/foo.conf' },
    ], { hooks: { 'post-install': { digest: D, size: 10, timeout: 30 } }, services: [{ name: 'foo', restart: 'on-upgrade', reload: true }] });
    expect(validateManifest(m).actions).toHaveLength(6);
  });

  it.each([
    ['an absolute path', [file('/etc/passwd')], /action 0 \(file `\/etc\/passwd`\): the path is absolute/],
    ['a `..` component', [file('usr/../../etc/shadow')], /action 0 .*contains `\.\.`/],
    ['an empty path', [file('')], /action 0 .*the path is empty/],
    ['an empty component', [file('usr//bin')], /empty component/],
    ['a `.` component', [file('./usr/bin')], /contains `\.`/],
    ['a trailing slash', [dir('usr/')], /ends with `\/`/],
    ['zpkg state', [file('var/lib/zpkg/state.db')], /state directory/],
    ['a duplicate path', [file('a'), file('a')], /action 1 \(file `a`\): the path is delivered twice/],
    ['a duplicate dir', [dir('a'), dir('a')], /delivered twice/],
    ['a file under a link', [link('opt', '/tmp'), file('opt/x')], /file `opt\/x` lies under `opt`, which is a link/],
    ['a file under a file', [file('a'), file('a/b')], /lies under `a`, which is a file/],
    ['a mode above 07777', [file('a', { mode: '17777' })], /mode 17777 is outside 0–07777/],
    ['a mode that is not octal', [file('a', { mode: '0989' })], /octal string/],
    ['a numeric mode', [file('a', { mode: 420 })], /octal string/],
    ['an unknown action type', [{ type: 'device', path: 'dev/sda' }], /action 0 has unknown type `device`/],
    ['an unknown action key', [file('a', { color: 'red' })], /unknown key `color`/],
    ['a missing digest', [{ type: 'file', path: 'a', mode: '0644', owner: 'root', group: 'root', size: 1 }], /`digest` is missing/],
    ['a malformed digest', [file('a', { digest: 'md5:abc' })], /digest must be/],
    ['a negative size', [file('a', { size: -1 })], /size must be a non-negative integer/],
    ['a hardlink to nothing', [{ type: 'hardlink', path: 'b', target: 'a' }], /target `a` is not a file of this package/],
    ['a bad owner', [file('a', { owner: 'Root Admin' })], /owner `Root Admin` is not a user or group name/],
    ['config that is not true', [file('a', { config: 'yes' })], /config must be true/],
  ])('refuses %s, naming the action and why', (_what, actions, pattern) => {
    expect(refusal(base(actions))).toMatch(pattern);
  });

  it.each([
    ['a bad name', { name: 'Foo_Bar' }, /name `Foo_Bar` is not a valid package name/],
    ['a version that does not parse', { version: '1.0-' }, /version `1.0-` is invalid: the revision after `-` is empty/],
    ['a version without a leading digit', { version: 'abc' }, /does not start with a digit/],
    ['an unknown key', { colour: 'blue' }, /unknown key `colour`/],
    ['an unknown format', { format: 2 }, /format 2 is not supported/],
    ['a bad relation', { depends: ['foo (>= )'] }, /`depends` entry 0/],
    ['a versioned provide with a range', { provides: ['virt (>= 1)'] }, /exact version/],
    ['an unknown hook phase', { hooks: { 'pre-boot': { digest: D, size: 1 } } }, /unknown hook phase `pre-boot`/],
    ['a bad service restart', { services: [{ name: 'x', restart: 'sometimes' }] }, /restart must be on-upgrade, always or never/],
  ])('refuses %s', (_what, extra, pattern) => {
    expect(refusal(base([], extra as Record<string, unknown>))).toMatch(pattern);
  });
});

describe('canonical JSON and manifest identity', () => {
  it('orders keys so equal values have equal bytes and digests', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }], e: true })).toBe('{"a":[{"c":null,"d":"x"}],"b":1,"e":true}');
    const m1 = base([file('a')]) as unknown as Manifest;
    const m2 = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(m1).reverse()))) as Manifest;
    expect(encodeManifest(m1).digest).toBe(encodeManifest(m2).digest);
  });

  it('refuses non-integers, which have no single canonical spelling', () => {
    expect(() => canonicalJson({ a: 1.5 })).toThrow(/integers only/);
  });

  it('decodes a manifest only when its bytes hash to the expected digest', () => {
    const { bytes, digest } = encodeManifest(base([file('a')]) as unknown as Manifest);
    expect(decodeManifest(bytes, digest).name).toBe('foo');
    const tampered = Buffer.from(bytes.toString().replace('"foo"', '"fop"'));
    expect(() => decodeManifest(tampered, digest)).toThrow(/is corrupt: its content hashes to/);
    expect(digestOf(tampered)).not.toBe(digest);
  });
});
