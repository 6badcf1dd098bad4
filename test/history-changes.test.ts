// `history`'s list: one line per transaction, its changes cut after a few (`history N` shows them all).
import { describe, expect, it } from 'vitest';
import { changeLines, describeChanges } from '../src/cli/commands/history.js';

const changes = (n: number) => ({ install: Array.from({ length: n }, (_, i) => ({ name: `p${i}`, version: '1' })), upgrade: [{ name: 'u', from: '1', to: '2' }], downgrade: [], remove: [{ name: 'gone', version: '3' }] });

describe('describeChanges', () => {
  it('lists every change with its mark when there are few, or none cut', () => {
    expect(describeChanges(changes(2), 4)).toBe('+p0 1, +p1 1, ^u 1→2, -gone 3');
    expect(describeChanges(changes(18))).toContain('+p17 1, ^u 1→2, -gone 3');
  });

  it('cuts a long list after max - 1 items and counts the rest', () => {
    expect(describeChanges(changes(18), 4)).toBe('+p0 1, +p1 1, +p2 1, … (17 more)');
  });

  it('history N lists one change per line, a rename with its successor', () => {
    // Before: one line of every change (a bookworm-to-trixie rollback: 18 changes, 900 characters).
    const c = { ...changes(2), remove: [{ name: 'libssl3', version: '3.0', replacedBy: 'libssl3t64' }] };
    expect(changeLines(c)).toEqual(['changes (4):', '  +p0 1', '  +p1 1', '  ^u 1→2', '  -libssl3 3.0 (replaced by libssl3t64)']);
    expect(changeLines({ install: [], upgrade: [], downgrade: [], remove: [] })).toEqual(['changes: none']);
  });

  it('history N lists the files that changed owner after the changes, per pair of packages', () => {
    const takeovers = [
      { from: 'base', to: 'base-files', paths: 3, first: 'bin' },
      { from: 'docs', to: 'newdocs', paths: 1, first: 'usr/share/doc/x' },
    ];
    expect(changeLines({ install: [{ name: 'newdocs', version: '1' }], upgrade: [], downgrade: [], remove: [], takeovers })).toEqual([
      'changes (1):',
      '  +newdocs 1',
      'files that changed owner (4):',
      '  base-files took 3 paths (/bin, …) from base',
      '  newdocs took /usr/share/doc/x from docs',
    ]);
  });
});
