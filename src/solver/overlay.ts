/**
 * A pool plus the installed packages it does not offer (installed from a file,
 * or since dropped by every remote). They get ids after the pool's, and every
 * relation answer of the pool is extended with them, so an installed package
 * can keep satisfying (or conflicting with) others without rebuilding the pool.
 */
import type { CatalogEntry } from '../core/catalog.js';
import { type Atom, providesAtom } from '../core/relation.js';
import type { Pool } from './pool.js';
import { EMPTY, type Universe } from './universe.js';

function concat(a: Int32Array, b: readonly number[]): Int32Array {
  if (b.length === 0) return a;
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export class Overlay implements Universe {
  readonly size: number;
  private readonly n: number;
  /** Name → extras answering to it (own name or provides). */
  private readonly answers = new Map<string, number[]>();
  private readonly depMemo = new Map<number, readonly Int32Array[]>();
  private readonly partnerMemo = new Map<number, Int32Array>();

  constructor(
    private readonly base: Pool,
    private readonly extras: readonly CatalogEntry[],
  ) {
    this.n = base.size;
    this.size = base.size + extras.length;
    extras.forEach((e, i) => {
      const names = new Set([e.name, ...e.provides.map((p) => p.name)]);
      for (const name of names) {
        const list = this.answers.get(name);
        if (list) list.push(this.n + i);
        else this.answers.set(name, [this.n + i]);
      }
    });
  }

  entry(s: number): CatalogEntry {
    return s < this.n ? this.base.entry(s) : this.extras[s - this.n]!;
  }

  private extraMatches(atom: Atom): number[] {
    const list = this.answers.get(atom.name);
    if (list === undefined) return [];
    return list.filter((x) => providesAtom(this.entry(x), atom));
  }

  resolve(atom: Atom): Int32Array {
    return concat(this.base.resolve(atom), this.extraMatches(atom));
  }

  named(name: string): Int32Array {
    const own = (this.answers.get(name) ?? []).filter((x) => this.entry(x).name === name);
    return concat(this.base.named(name), own);
  }

  find(name: string, version: string): number {
    const s = this.base.find(name, version);
    if (s >= 0) return s;
    const i = this.extras.findIndex((e) => e.name === name && e.version === version);
    return i < 0 ? -1 : this.n + i;
  }

  deps(s: number): readonly Int32Array[] {
    let out = this.depMemo.get(s);
    if (out !== undefined) return out;
    const clauses = this.entry(s).depends;
    const touched = clauses.some((clause) => clause.some((a) => this.answers.has(a.name)));
    if (s < this.n && !touched) out = this.base.deps(s);
    else {
      out = clauses.map((clause) => {
        const base = this.base.resolveClause(clause);
        const more: number[] = [];
        for (const atom of clause) for (const x of this.extraMatches(atom)) if (!more.includes(x)) more.push(x);
        return concat(base, more);
      });
    }
    this.depMemo.set(s, out);
    return out;
  }

  partners(s: number): Int32Array {
    let out = this.partnerMemo.get(s);
    if (out !== undefined) return out;
    const e = this.entry(s);
    const more: number[] = [];
    for (let i = 0; i < this.extras.length; i++) {
      const x = this.n + i;
      if (x === s) continue;
      const ex = this.extras[i]!;
      if (ex.conflicts.some((a) => providesAtom(e, a)) || e.conflicts.some((a) => providesAtom(ex, a))) more.push(x);
    }
    out = s < this.n ? concat(this.base.partners(s), more) : concat(Int32Array.from(this.base.conflicting(e, -1)), more);
    this.partnerMemo.set(s, out);
    return out;
  }

  siblings(s: number): Int32Array {
    const all = this.named(this.entry(s).name);
    return all.length <= 1 ? EMPTY : all.filter((x) => x !== s);
  }
}
