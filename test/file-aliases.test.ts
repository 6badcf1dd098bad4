/**
 * `file:` capabilities under an image's directory links (core/file-aliases.ts)
 * and the links an image root holds (image/directory-links.ts).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aliasesOf, declaredEntry, entriesWithFileAliases, withFileAliases } from '../src/core/file-aliases.js';
import { directoryLinks } from '../src/image/directory-links.js';
import { tempDir } from './helpers/zpkg.js';

const merged = new Map([
  ['bin', 'usr/bin'],
  ['lib64', 'usr/lib64'],
]);

describe('file aliases', () => {
  it('names a path under either side of a link by the other', () => {
    expect(aliasesOf('usr/lib64/ld-linux-x86-64.so.2', merged)).toEqual(['lib64/ld-linux-x86-64.so.2']);
    expect(aliasesOf('bin/bash', merged)).toEqual(['usr/bin/bash']);
    expect(aliasesOf('usr/sbin/init', merged)).toEqual([]);
    // A prefix of a name is not its directory.
    expect(aliasesOf('usr/bin2/x', merged)).toEqual([]);
    expect(aliasesOf('usr/bin', merged)).toEqual([]);
  });

  it('adds unversioned aliases of file provides only, once, and keeps the array when none is added', () => {
    const provides = [{ name: 'file:/usr/bin/bash' }, { name: 'file:/bin/bash' }, { name: 'so:libc.so.6' }, { name: 'file:/usr/lib64/ld.so.2' }];
    expect(withFileAliases(provides, merged).map((p) => p.name)).toEqual(['file:/usr/bin/bash', 'file:/bin/bash', 'so:libc.so.6', 'file:/usr/lib64/ld.so.2', 'file:/lib64/ld.so.2']);
    const none = [{ name: 'file:/etc/x' }];
    expect(withFileAliases(none, merged)).toBe(none);
    expect(withFileAliases(provides, new Map())).toBe(provides);
  });

  it('copies only the entries that gain an alias, and remembers what they declared', () => {
    const a = { name: 'a', provides: [{ name: 'file:/usr/bin/a' }] };
    const b = { name: 'b', provides: [{ name: 'so:libb.so.1' }] };
    const [a2, b2] = entriesWithFileAliases([a, b], merged);
    expect(b2).toBe(b);
    expect(a2!.provides.map((p) => p.name)).toEqual(['file:/usr/bin/a', 'file:/bin/a']);
    expect(JSON.parse(JSON.stringify(a2))).toEqual({ name: 'a', provides: [{ name: 'file:/usr/bin/a' }, { name: 'file:/bin/a' }] });
    expect(declaredEntry(a2!)).toBe(a);
    expect(declaredEntry({ ...a2! })).toBe(a);
    expect(declaredEntry(b)).toBe(b);
  });
});

describe("an image's directory links", () => {
  it('are its root entries that are links to directories inside it', () => {
    const root = tempDir('zpkg-dir-links-');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    mkdirSync(join(root, 'usr/lib64'), { recursive: true });
    writeFileSync(join(root, 'usr/file'), 'x\n');
    symlinkSync('usr/bin', join(root, 'bin'));
    symlinkSync('/usr/lib64', join(root, 'lib64')); // absolute: the image's root, not the host's
    symlinkSync('usr/file', join(root, 'afile'));
    symlinkSync('missing', join(root, 'dangling'));
    symlinkSync('.', join(root, 'self'));
    symlinkSync('loop', join(root, 'loop'));
    expect([...directoryLinks(root)]).toEqual([
      ['bin', 'usr/bin'],
      ['lib64', 'usr/lib64'],
    ]);
    expect(directoryLinks(join(root, 'nothing-here')).size).toBe(0);
  });
});
