import { describe, expect, it } from 'vitest';
import { isZpkgError } from '../src/core/errors.js';
import { compareVersions, formatVersion, isValidVersion, parseVersion, sign } from '../src/core/version.js';

function refusal(text: string): string {
  try {
    parseVersion(text);
  } catch (err) {
    if (!isZpkgError(err, 'E_VERSION_INVALID')) throw err;
    return err.message;
  }
  throw new Error(`\`${text}\` was accepted`);
}

describe('parseVersion', () => {
  it('splits epoch, upstream and revision', () => {
    expect(parseVersion('1.0')).toEqual({ epoch: 0, upstream: '1.0', revision: '' });
    expect(parseVersion('2:1.2.3-4+b1')).toEqual({ epoch: 2, upstream: '1.2.3', revision: '4+b1' });
    expect(parseVersion('0:7')).toEqual({ epoch: 0, upstream: '7', revision: '' });
    expect(parseVersion('00:1')).toEqual({ epoch: 0, upstream: '1', revision: '' });
  });

  it('takes the revision after the last hyphen, so the upstream may hold hyphens', () => {
    expect(parseVersion('1.0-2-3')).toEqual({ epoch: 0, upstream: '1.0-2', revision: '3' });
  });

  it('allows colons in the upstream version after an epoch', () => {
    expect(parseVersion('1:2:3')).toEqual({ epoch: 1, upstream: '2:3', revision: '' });
  });

  it('accepts every character Debian allows', () => {
    expect(parseVersion('1:9.8~rc1+dfsg.2-0ubuntu1~18.04+b3')).toEqual({
      epoch: 1,
      upstream: '9.8~rc1+dfsg.2',
      revision: '0ubuntu1~18.04+b3',
    });
    expect(parseVersion('2147483647:1').epoch).toBe(2147483647);
  });

  it('refuses an empty version', () => {
    expect(refusal('')).toMatch(/empty/);
  });

  it('refuses white space anywhere', () => {
    for (const v of ['1.0 1', ' 1.0', '1.0 ', '1.0\t', '1.0\n', '1:1 .0']) expect(refusal(v)).toMatch(/white space/);
  });

  it('refuses a bad epoch', () => {
    expect(refusal('a:1.0')).toMatch(/epoch is not a number/);
    expect(refusal(':1.0')).toMatch(/epoch is not a number/);
    expect(refusal('-1:2')).toMatch(/epoch is not a number/);
    expect(refusal('+1:2')).toMatch(/epoch is not a number/);
    expect(refusal('1.0-1:2')).toMatch(/epoch is not a number/);
    expect(refusal('99999999999:1')).toMatch(/epoch is too large/);
    expect(refusal('2147483648:1')).toMatch(/epoch is too large/);
    expect(refusal('1:')).toMatch(/nothing follows the epoch/);
  });

  it('refuses an empty revision or upstream', () => {
    expect(refusal('1.0-')).toMatch(/revision after `-` is empty/);
    expect(refusal('1.0-1-')).toMatch(/revision after `-` is empty/);
    expect(refusal('-1')).toMatch(/upstream version is empty/);
    expect(refusal('1:-1')).toMatch(/upstream version is empty/);
  });

  it('refuses an upstream version that does not start with a digit', () => {
    for (const v of ['a1.0', '~1', '.1', '1:a', '+1', 'v2.0-1']) expect(refusal(v)).toMatch(/does not start with a digit/);
  });

  it('refuses characters outside the allowed sets', () => {
    for (const v of ['1.0_1', '1.0#', '1.0/2', '1,0', '1.0é', '1.0(1)']) expect(refusal(v)).toMatch(/upstream version has a character/);
    for (const v of ['1.0-1_1', '1.0-a_b', '1.0-1/2']) expect(refusal(v)).toMatch(/revision has a character/);
  });

  it('names the version in the message, and isValidVersion agrees', () => {
    expect(refusal('1.0_1')).toContain('`1.0_1`');
    expect(isValidVersion('1.0-1')).toBe(true);
    expect(isValidVersion('1.0-')).toBe(false);
  });

  it('formats back to the canonical text', () => {
    expect(formatVersion(parseVersion('0:1.0-0'))).toBe('1.0-0');
    expect(formatVersion(parseVersion('3:1.0-2-3'))).toBe('3:1.0-2-3');
  });
});

describe('compareVersions', () => {
  // Each expectation was checked with `dpkg --compare-versions`.
  const table: Array<[string, '<' | '=' | '>', string]> = [
    ['1.0~rc1', '<', '1.0'],
    ['1.0~~', '<', '1.0~'],
    ['1.0~', '<', '1.0'],
    ['1.0~~a', '>', '1.0~~'],
    ['1.0', '<', '1.0a'],
    ['1.0a', '<', '1.0+'],
    ['1.0A', '<', '1.0a'],
    ['1.0+dfsg', '<', '1.0.1'],
    ['1.0', '<', '1.0+'],
    ['1.0', '<', '1.0.0'],
    ['1.2', '<', '1.2.0'],
    ['1:0', '>', '9.9'],
    ['0:1.0', '=', '1.0'],
    ['00:1', '=', '1'],
    ['2:0', '>', '1:99'],
    ['1.01', '=', '1.1'],
    ['1.001', '=', '1.1'],
    ['1.0', '=', '1.00'],
    ['007', '=', '7'],
    ['1.0', '=', '1.0-0'],
    ['1.0-1', '<', '1.0-2'],
    ['1.0-1', '<', '1.0-1.1'],
    ['1.0-9', '<', '1.0-10'],
    ['1.0-1~bpo1', '<', '1.0-1'],
    ['1.0-1', '<', '1.0-1+b1'],
    ['1.9', '<', '1.10'],
    ['9', '<', '10'],
    ['1.12345678901234567890', '<', '1.12345678901234567891'],
    ['99999999999999999999', '<', '100000000000000000000'],
    ['2.0~beta1', '<', '2.0~beta2'],
    ['2.0~beta2', '<', '2.0~rc1'],
    ['2.0~rc1', '<', '2.0'],
    ['2.0', '<', '2.0+nmu1'],
    ['2.0+nmu1', '<', '2.0.1'],
    ['1.2.3-4', '=', '1.2.3-4'],
    ['1:2:3', '=', '1:2:3-0'],
    ['1.0-2-3', '<', '1.0-2-4'],
    ['1.0-2-3', '>', '1.0-3'],
    ['1.0a1', '>', '1.0a'],
    ['1.0a', '<', '1.0b'],
    ['1.0.a', '>', '1.0.1'],
    ['1.0ab', '<', '1.0a.'],
    ['0.9', '<', '1.0~'],
    ['1.0~a', '<', '1.0~b'],
  ];

  it.each(table)('%s %s %s', (a, expected, b) => {
    expect(sign(compareVersions(a, b))).toBe(expected);
    const reverse = expected === '<' ? '>' : expected === '>' ? '<' : '=';
    expect(sign(compareVersions(b, a))).toBe(reverse);
  });

  it('sorts a release sequence the way Debian does', () => {
    const sorted = ['1.0~alpha', '1.0~beta1', '1.0~beta2', '1.0~rc1', '1.0', '1.0-0.1', '1.0-1~bpo11+1', '1.0-1', '1.0-1+b1', '1.0-1.1', '1.0-2', '1.0a', '1.0+dfsg', '1.0.1', '1.1', '1.10', '1:0.1'];
    const shuffled = [...sorted].reverse();
    shuffled.push(shuffled.shift()!);
    expect(shuffled.sort(compareVersions)).toEqual(sorted);
  });

  it('is reflexive and equal strings compare equal', () => {
    expect(compareVersions('1.0-1', '1.0-1')).toBe(0);
    expect(compareVersions('1:1.0', '1:1.0')).toBe(0);
  });

});
