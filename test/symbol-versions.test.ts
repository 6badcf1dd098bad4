// A library's relations on a terminal: symbol versions fold into a count (info's provides, remove's broken dependents).
import { describe, expect, it } from 'vitest';
import { foldSymbolVersions, foldedItem, foldedPhrase } from '../src/core/symbol-versions.js';

describe('foldSymbolVersions', () => {
  it('folds so:NAME(VERSION) atoms under their soname, in first-seen order, counting them', () => {
    expect(
      foldSymbolVersions(['file:/lib64/ld-linux-x86-64.so.2', 'so:libc.so.6', 'so:libc.so.6(GLIBC_2.2.5)', 'so:libc.so.6(GLIBC_2.34)', 'so:libm.so.6(GLIBC_2.29)', 'so:libmemusage.so', 'mail-transport-agent']).map(foldedItem),
    ).toEqual(['file:/lib64/ld-linux-x86-64.so.2', 'so:libc.so.6 (2 symbol versions)', 'so:libm.so.6 (1 symbol version)', 'so:libmemusage.so', 'mail-transport-agent']);
  });

  it('leaves constrained atoms and other names with parentheses as they are', () => {
    expect(foldSymbolVersions(['so:libx.so.1 (= 1.2)', 'python3-abi(3.11)', 'so:liby.so.2']).map(foldedItem)).toEqual(['so:libx.so.1 (= 1.2)', 'python3-abi(3.11)', 'so:liby.so.2']);
  });

  it('says in a sentence whether the soname itself was among them', () => {
    expect(foldSymbolVersions(['so:libc.so.6', 'so:libc.so.6(GLIBC_2.34)', 'so:libm.so.6(GLIBC_2.29)', 'so:libm.so.6(GLIBC_2.35)', 'tool']).map(foldedPhrase)).toEqual([
      '`so:libc.so.6` with 1 of its symbol versions',
      '2 symbol versions of `so:libm.so.6`',
      '`tool`',
    ]);
  });
});
