// unneeded(): what `remove --autoremove` would take, said after a plain remove.
import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../../src/core/catalog.js';
import { parseAtom, parseClause } from '../../src/core/relation.js';
import { unneeded } from '../../src/solver/index.js';

function pkg(name: string, flags: { requested?: boolean; held?: boolean; depends?: string[]; provides?: string[] } = {}): InstalledPackage {
  return {
    name,
    version: '1',
    arch: 'all',
    requested: flags.requested ?? false,
    held: flags.held ?? false,
    depends: (flags.depends ?? []).map((d) => parseClause(d)),
    conflicts: [],
    provides: (flags.provides ?? []).map((p) => parseAtom(p)),
    replaces: [],
  } as InstalledPackage;
}

describe('unneeded', () => {
  it('is every installed package no requested, held or kept one reaches through depends, by name', () => {
    const installed = [
      pkg('app', { requested: true, depends: ['lib (>= 1)', 'mta'] }),
      pkg('lib', { depends: ['base'] }),
      pkg('base'),
      pkg('postfix', { provides: ['mta'] }),
      pkg('left-a', { depends: ['left-b'] }),
      pkg('left-b'),
      pkg('pinned', { held: true, depends: ['pinned-dep'] }),
      pkg('pinned-dep'),
      pkg('essential-base'),
      pkg('wrong-version', {}),
    ];
    installed.push(pkg('needs-v2', { requested: true, depends: ['wrong-version (>= 2)'] }));
    expect(unneeded(installed, ['essential-base']).map((p) => p.name)).toEqual(['left-a', 'left-b', 'wrong-version']);
    expect(unneeded(installed).map((p) => p.name)).toEqual(['essential-base', 'left-a', 'left-b', 'wrong-version']);
  });

  it('is empty when everything installed was requested', () => {
    expect(unneeded([pkg('a', { requested: true }), pkg('b', { requested: true, depends: ['a'] })])).toEqual([]);
  });
});
