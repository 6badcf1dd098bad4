/** solver/consistency.ts: the one check that a set holds together, for sync (inconsistencies) and remove --force (brokenDependents). */
import { describe, expect, it } from 'vitest';
import type { InstalledPackage } from '../../src/core/catalog.js';
import { formatAtom, formatClause, parseRelationField, providesAtom } from '../../src/core/relation.js';
import { brokenDependents, inconsistencies } from '../../src/solver/index.js';
import { prng } from '../helpers/prng.js';

function pkg(name: string, version: string, f: { depends?: string; conflicts?: string; provides?: string } = {}): InstalledPackage {
  const atoms = (text = '') => parseRelationField(text).map((c) => c[0]!);
  return {
    name,
    version,
    arch: 'amd64',
    summary: '',
    depends: parseRelationField(f.depends ?? ''),
    conflicts: atoms(f.conflicts),
    provides: atoms(f.provides),
    replaces: [],
    size: 0,
    installedSize: 0,
    requested: false,
    held: false,
  };
}

/** The checks as txn/consistency.ts and txn/remove.ts wrote them, each member against every other: the reference. */
function referenceInconsistencies(set: readonly InstalledPackage[]): string[] {
  const problems: string[] = [];
  for (const p of set) {
    for (const clause of p.depends) {
      if (!clause.some((a) => set.some((q) => providesAtom(q, a)))) problems.push(`${p.name} ${p.version} depends on \`${formatClause(clause)}\`, which nothing in the set satisfies`);
    }
    for (const atom of p.conflicts) {
      for (const q of set) if (q !== p && providesAtom(q, atom)) problems.push(`${p.name} ${p.version} conflicts with \`${formatAtom(atom)}\`, which ${q.name} ${q.version} satisfies`);
    }
  }
  return problems;
}

function referenceBroken(all: readonly InstalledPackage[], going: ReadonlySet<string>): { name: string; clause: string }[] {
  const staying = all.filter((p) => !going.has(p.name));
  const gone = all.filter((p) => going.has(p.name));
  const broken: { name: string; clause: string }[] = [];
  for (const p of staying) {
    for (const clause of p.depends) {
      if (!clause.some((a) => gone.some((g) => providesAtom(g, a)))) continue;
      if (!clause.some((a) => staying.some((s) => providesAtom(s, a)))) broken.push({ name: p.name, clause: formatClause(clause) });
    }
  }
  return broken;
}

describe('inconsistencies', () => {
  it('finds nothing in a set that holds: names, versions, virtual and versioned provides, alternatives', () => {
    const set = [
      pkg('app', '2', { depends: 'libc6 (>= 2.36), mail-transport-agent | sendmail, python3-abi (>= 3)', conflicts: 'app-legacy' }),
      pkg('libc6', '2.36-9'),
      pkg('postfix', '3.7', { provides: 'mail-transport-agent', conflicts: 'mail-transport-agent' }),
      pkg('python3', '3.11', { provides: 'python3-abi (= 3.11)' }),
    ];
    expect(inconsistencies(set)).toEqual([]);
  });

  it('names every unmet dependency and every conflict inside the set, a package by its dependencies then its conflicts', () => {
    const set = [
      pkg('app', '2', { depends: 'libc6 (>= 2.38), mta', conflicts: 'postfix (<< 4), virtual' }),
      pkg('libc6', '2.36-9'),
      pkg('postfix', '3.7', { provides: 'virtual' }),
      pkg('awk', '1', { provides: 'virtual', depends: 'mta | postfix' }),
    ];
    expect(inconsistencies(set)).toEqual([
      'app 2 depends on `libc6 (>= 2.38)`, which nothing in the set satisfies',
      'app 2 depends on `mta`, which nothing in the set satisfies',
      'app 2 conflicts with `postfix (<< 4)`, which postfix 3.7 satisfies',
      'app 2 conflicts with `virtual`, which postfix 3.7 satisfies',
      'app 2 conflicts with `virtual`, which awk 1 satisfies',
    ]);
  });

  it('lets a package conflict with what it provides itself (Debian’s one-provider idiom)', () => {
    expect(inconsistencies([pkg('postfix', '3.7', { provides: 'mta', conflicts: 'mta' })])).toEqual([]);
  });
});

describe('brokenDependents', () => {
  const all = [
    pkg('app', '2', { depends: 'libfoo (>= 1), mta, missing' }),
    pkg('libfoo', '1.5'),
    pkg('postfix', '3.7', { provides: 'mta' }),
    pkg('exim', '4', { provides: 'mta' }),
    pkg('tool', '1', { depends: 'libfoo | libbar' }),
    pkg('libbar', '1'),
  ];

  it('names each clause something going satisfied and nothing staying does', () => {
    expect(brokenDependents(all, new Set(['libfoo']))).toEqual([{ name: 'app', clause: 'libfoo (>= 1)' }]);
  });

  it('keeps a clause another staying package satisfies, by name, provide or alternative', () => {
    expect(brokenDependents(all, new Set(['postfix', 'libbar']))).toEqual([]);
    expect(brokenDependents(all, new Set(['postfix', 'exim', 'libfoo', 'libbar']))).toEqual([
      { name: 'app', clause: 'libfoo (>= 1)' },
      { name: 'app', clause: 'mta' },
      { name: 'tool', clause: 'libfoo | libbar' },
    ]);
  });

  it('leaves out what was broken before (`missing`) and the packages going themselves', () => {
    expect(brokenDependents(all, new Set(['app']))).toEqual([]);
    expect(brokenDependents(all, new Set(['libfoo', 'app']))).toEqual([]);
  });
});

describe('against the checks it replaces', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const versions = ['1', '2', '3'];
  function randomSet(rnd: () => number): InstalledPackage[] {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const atom = () => `${pick(names)}${rnd() < 0.4 ? ` (${pick(['<<', '<=', '=', '>=', '>>'])} ${pick(versions)})` : ''}`;
    const list = (n: number, f: () => string) => Array.from({ length: Math.floor(rnd() * n) }, f).join(', ');
    return Array.from({ length: 1 + Math.floor(rnd() * 6) }, () =>
      pkg(pick(names), pick(versions), {
        depends: list(3, () => Array.from({ length: 1 + Math.floor(rnd() * 2) }, atom).join(' | ')),
        conflicts: list(2, atom),
        provides: list(2, () => `${pick(names)}${rnd() < 0.5 ? ` (= ${pick(versions)})` : ''}`),
      }),
    );
  }

  it('gives the same problems and the same broken dependents on random sets', () => {
    const rnd = prng(3);
    for (let k = 0; k < 3000; k++) {
      const set = randomSet(rnd);
      expect(inconsistencies(set)).toEqual(referenceInconsistencies(set));
      const going = new Set(names.filter(() => rnd() < 0.3));
      expect(brokenDependents(set, going)).toEqual(referenceBroken(set, going));
    }
  });
});
