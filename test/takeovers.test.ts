/**
 * txn/transaction.ts `takeoversOf`: how a history row sums up the files that
 * changed owner — one entry per pair of packages, with the count and the
 * first path in path order; nothing at all when no file did.
 */
import { describe, expect, it } from 'vitest';
import { takeoversOf } from '../src/txn/transaction.js';

describe('takeoversOf', () => {
  it('one entry per pair, counted, named by its first path; none when nothing moved', () => {
    expect(
      takeoversOf([
        { path: 'usr/share/doc/b', from: 'docs', to: 'newdocs' },
        { path: 'usr/bin/tool', from: 'tools', to: 'newdocs' },
        { path: 'usr/share/doc/a', from: 'docs', to: 'newdocs' },
        { path: 'usr/share/doc/c', from: 'newdocs', to: 'docs' },
      ]),
    ).toEqual({
      takeovers: [
        { from: 'tools', to: 'newdocs', paths: 1, first: 'usr/bin/tool' },
        { from: 'docs', to: 'newdocs', paths: 2, first: 'usr/share/doc/a' },
        { from: 'newdocs', to: 'docs', paths: 1, first: 'usr/share/doc/c' },
      ],
    });
    expect(takeoversOf([])).toEqual({});
  });
});
