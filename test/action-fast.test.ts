/**
 * The fast path of manifest validation (src/core/action-fast.ts) may only make
 * valid manifests cheaper to read: every action it accepts, the schema accepts
 * too. Held on mutated actions (fast-check, fixed seed), plus the shapes it
 * must accept (or the fast path would be dead code) and the rewritten path
 * checks it relies on.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedPathAction } from '../src/core/action-fast.js';
import { schemaAcceptsAction, validateManifest } from '../src/core/manifest.js';
import { imagePathProblem } from '../src/core/paths.js';

const D = `sha256:${'ab'.repeat(32)}`;

/** Valid path actions with and without their optional fields. */
const VALID: Record<string, unknown>[] = [
  { type: 'dir', path: 'etc', mode: '0755', owner: 'root', group: 'root' },
  { type: 'dir', path: 'usr/share/doc', mode: '755', owner: 'root', group: 'staff', uid: 0, gid: 50, facets: ['doc'] },
  { type: 'file', path: 'usr/bin/x', mode: '0755', owner: 'root', group: 'root', size: 0, digest: D },
  { type: 'file', path: 'etc/x.conf', mode: '0640', owner: 'svc_1', group: '1000', size: 12, digest: D, config: true, restart: ['x', 'y@1.service'], uid: 4294967294, gid: 0, facets: ['locale.de'] },
  { type: 'link', path: 'usr/bin/sh', target: 'busybox', owner: 'root', group: 'root' },
  { type: 'link', path: 'usr/bin/awk', target: '/usr/bin/gawk', owner: 'root', group: 'root', mediator: 'awk', implementation: 'gawk', priority: 10 },
  { type: 'link', path: 'usr/bin/vi', target: 'vim', owner: 'root', group: 'root', mediator: 'vi', priority: -5, uid: 1, gid: 2 },
  { type: 'hardlink', path: 'usr/bin/y', target: 'usr/bin/x' },
  { type: 'hardlink', path: 'usr/bin/z', target: 'usr/bin/x', facets: ['devel'] },
];

/** Values a field may be mutated to: right and wrong types, edge numbers, hostile strings. */
const VALUES: unknown[] = [
  undefined, null, true, false, 0, -1, 1.5, 0o7777, 0o10000, 4294967294, 4294967295, Number.MAX_SAFE_INTEGER, 2 ** 53, NaN, Infinity,
  '', 'root', 'Root', '0', '1000', 'svc$', 'a b', '0644', '7777', '07777', '10000', '0o644', '8', '644 ', '00000', '077777',
  'etc', 'etc/x', '/etc', 'etc/', 'etc//x', './etc', 'etc/..', 'etc/./x', '..', '.', 'var/lib/zpkg', 'var/lib/zpkg/x', 'var/lib/zpkgx', 'a\0b',
  D, D.toUpperCase(), `sha256:${'a'.repeat(63)}`, `sha1:${'a'.repeat(40)}`, 'busybox', '-x', 'x.y', '@x',
  [], ['doc'], ['Doc'], ['locale.de', 'doc'], [1], ['x', 2], {}, { a: 1 }, ['x'], ['x y'],
];
const KEYS = ['type', 'path', 'mode', 'owner', 'group', 'size', 'digest', 'config', 'restart', 'uid', 'gid', 'facets', 'target', 'mediator', 'implementation', 'priority', 'name', 'home', 'constructor', 'toString', 'extra'];
const TYPES = ['dir', 'file', 'link', 'hardlink', 'user', 'group', 'constructor', 'File', ''];

const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: fc.constantFrom(...KEYS), value: fc.constantFrom(...VALUES) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.constantFrom(...KEYS) }),
  fc.record({ op: fc.constant('type' as const), value: fc.constantFrom(...TYPES) }),
  fc.record({ op: fc.constant('proto' as const) }),
);

function mutate(base: Record<string, unknown>, ms: { op: string; key?: string; value?: unknown }[]): unknown {
  let a: Record<string, unknown> = { ...base };
  for (const m of ms) {
    if (m.op === 'set') a[m.key!] = m.value;
    else if (m.op === 'delete') delete a[m.key!];
    else if (m.op === 'type') a.type = m.value;
    // An own `__proto__` key, as JSON.parse makes it.
    else a = { ...(JSON.parse(`{"__proto__": {"type": "file"}}`) as Record<string, unknown>), ...a };
  }
  return a;
}

describe('the fast path of manifest validation', () => {
  it('accepts the usual path actions, and the schema agrees', () => {
    for (const a of VALID) {
      expect(acceptedPathAction(a), JSON.stringify(a)).toBe(true);
      expect(schemaAcceptsAction(a), JSON.stringify(a)).toBe(true);
    }
  });

  it('leaves account actions and non-objects to the schema', () => {
    for (const a of [{ type: 'user', name: 'svc' }, { type: 'group', name: 'svc' }, null, [], 'file', 3, Object.create({ type: 'dir' })]) expect(acceptedPathAction(a)).toBe(false);
  });

  it('accepts nothing the schema refuses (mutated actions)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 3 }), (base, ms) => {
        const a = mutate(base, ms);
        const fast = acceptedPathAction(a);
        const schema = schemaAcceptsAction(a);
        if (fast) accepted++;
        if (!schema) refused++;
        return !fast || schema;
      }),
      { numRuns: 20_000, seed: 0x7a706b67 },
    );
    // Both sides were exercised: mutations the fast path still accepts, and ones the schema refuses.
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(5000);
  });

  it('reports what the schema reported when an action after an account action is wrong', () => {
    const m = {
      format: 1, name: 'foo', version: '1', arch: 'all', summary: '', description: '', license: 'MIT',
      actions: [{ type: 'user', name: 'svc' }, ...VALID.slice(0, 3), { type: 'file', path: 'etc/bad', mode: '0644', owner: 'root', group: 'root', size: -1, digest: D }],
    };
    expect(() => validateManifest(m)).toThrow('manifest of `foo`: action 4 (file `etc/bad`): size must be a non-negative integer');
  });

  it('refuses a path under a file deep in a tree whose other directories were found clean', () => {
    const dirs = ['a', 'a/b', 'a/b/c'].map((path) => ({ type: 'dir', path, mode: '0755', owner: 'root', group: 'root' }));
    const files = ['a/b/c/1', 'a/b/c/2', 'a/b/f', 'a/b/f/x'].map((path) => ({ type: 'file', path, mode: '0644', owner: 'root', group: 'root', size: 1, digest: D }));
    const m = { format: 1, name: 'foo', version: '1', arch: 'all', summary: '', description: '', license: 'MIT', actions: [...dirs, ...files] };
    expect(() => validateManifest(m)).toThrow('file `a/b/f/x` lies under `a/b/f`, which is a file, not a dir');
    m.actions.pop();
    expect(validateManifest(m).actions).toHaveLength(6);
  });
});

/** The split-based check imagePathProblem had before it scanned components in place: the oracle. */
function splitProblem(path: string): string | undefined {
  if (path.length === 0) return 'the path is empty';
  if (path.includes('\0')) return 'the path contains a NUL byte';
  if (path.startsWith('/')) return 'the path is absolute; paths are relative to the image root';
  if (path.endsWith('/')) return 'the path ends with `/`';
  for (const part of path.split('/')) {
    if (part === '') return 'the path has an empty component (`//`)';
    if (part === '..') return 'the path contains `..`';
    if (part === '.') return 'the path contains `.`';
  }
  if (path === 'var/lib/zpkg' || path.startsWith('var/lib/zpkg/')) return "the path lies in zpkg's state directory `var/lib/zpkg`";
  return undefined;
}

describe('imagePathProblem', () => {
  it('says what the split-based check said, for any path of `/`, `.`, letters and NUL', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('/', '.', 'a', '..', '\0', 'var/lib/zpkg'), { maxLength: 10 }), (parts) => {
        const p = parts.join('');
        return imagePathProblem(p) === splitProblem(p);
      }),
      { numRuns: 20_000, seed: 0x7a706b67 },
    );
  });
});
