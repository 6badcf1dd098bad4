/**
 * The hidden names beside an image path (src/txn/side-names.ts): sliced from
 * the path rather than parsed by `node:path`, and a name whose bytes (not
 * UTF-16 units) would pass NAME_MAX replaced by a digest of it.
 */
import { describe, expect, it } from 'vitest';
import { hostPath } from '../src/core/paths.js';
import { backupName, NAME_MAX, stagedFile, StagingNames, tempName } from '../src/txn/side-names.js';

/** As transactions make them: six random bytes in hex. */
const TXID = 'a1b2c3d4e5f6';

describe('side names', () => {
  it('puts the hidden name in the directory of the path, or at the root for a top-level path', () => {
    expect(tempName('usr/bin/hello', TXID)).toBe(`usr/bin/.hello.zpkg-${TXID}`);
    expect(backupName('usr/bin/hello', TXID)).toBe(`usr/bin/.hello.zpkg-old-${TXID}`);
    expect(tempName('motd', TXID)).toBe(`.motd.zpkg-${TXID}`);
    expect(stagedFile('/img', 'etc/motd', new StagingNames(TXID))).toBe(`/img/etc/.motd.zpkg-${TXID}`);
    expect(stagedFile('/img/', 'etc/motd', new StagingNames(TXID))).toBe(`/img/etc/.motd.zpkg-${TXID}`);
    expect(hostPath('/', 'etc/motd')).toBe('/etc/motd');
  });

  it('stages a path inside a new tree under its own name in the hidden name of the tree', () => {
    const names = new StagingNames(TXID, ['opt/app', 'srv']);
    // The tree itself, and what lies in it at any depth.
    expect(names.dir('opt/app')).toBe(`opt/.app.zpkg-${TXID}`);
    expect(names.dir('opt/app/lib')).toBe(`opt/.app.zpkg-${TXID}/lib`);
    expect(names.file('opt/app/lib/x.so')).toBe(`opt/.app.zpkg-${TXID}/lib/x.so`);
    expect(names.file('srv/index.html')).toBe(`.srv.zpkg-${TXID}/index.html`);
    expect(names.treeOf('opt/app/lib/x.so')).toBe('opt/app');
    // Outside the trees: beside itself, and a name that merely starts like a tree is not in it.
    expect(names.file('opt/application')).toBe(`opt/.application.zpkg-${TXID}`);
    expect(names.file('opt/app.conf')).toBe(`opt/.app.conf.zpkg-${TXID}`);
    expect(names.treeOf('opt')).toBeUndefined();
    expect(names.dir('opt')).toBe('opt');
    expect(names.dir('srvx/a')).toBe('srvx/a');
  });

  it('counts bytes, not characters, against NAME_MAX', () => {
    // 120 two-byte characters: `.` + 240 bytes + `.zpkg-` + txid is 259 bytes, but only 139 UTF-16 units.
    const wide = 'é'.repeat(120);
    const name = tempName(`usr/share/${wide}`, TXID).slice('usr/share/'.length);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(NAME_MAX);
    expect(name).toMatch(new RegExp(`^\\.[0-9a-f]{32}\\.zpkg-${TXID}$`));
    // 40 of them fit as they are.
    const narrow = 'é'.repeat(40);
    expect(backupName(`usr/share/${narrow}`, TXID)).toBe(`usr/share/.${narrow}.zpkg-old-${TXID}`);
    // Four-byte characters (surrogate pairs in UTF-16): 240 bytes of name, 120 units.
    const emoji = '😀'.repeat(60);
    const e = backupName(emoji, TXID);
    expect(Buffer.byteLength(e)).toBeLessThanOrEqual(NAME_MAX);
    expect(e).not.toContain('😀');
  });
});
