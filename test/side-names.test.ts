/**
 * The hidden names beside an image path (src/txn/side-names.ts): sliced from
 * the path rather than parsed by `node:path`, and a name whose bytes (not
 * UTF-16 units) would pass NAME_MAX replaced by a digest of it.
 */
import { describe, expect, it } from 'vitest';
import { hostPath } from '../src/core/paths.js';
import { backupName, NAME_MAX, stagedFile, tempName } from '../src/txn/side-names.js';

/** As transactions make them: six random bytes in hex. */
const TXID = 'a1b2c3d4e5f6';

describe('side names', () => {
  it('puts the hidden name in the directory of the path, or at the root for a top-level path', () => {
    expect(tempName('usr/bin/hello', TXID)).toBe(`usr/bin/.hello.zpkg-${TXID}`);
    expect(backupName('usr/bin/hello', TXID)).toBe(`usr/bin/.hello.zpkg-old-${TXID}`);
    expect(tempName('motd', TXID)).toBe(`.motd.zpkg-${TXID}`);
    expect(stagedFile('/img', 'etc/motd', TXID)).toBe(`/img/etc/.motd.zpkg-${TXID}`);
    expect(stagedFile('/img/', 'etc/motd', TXID)).toBe(`/img/etc/.motd.zpkg-${TXID}`);
    expect(hostPath('/', 'etc/motd')).toBe('/etc/motd');
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
