/**
 * The pool: a compact, reusable index over every candidate of the configured
 * remotes. Build it once (`buildPool`) and hand it to any number of `solve`
 * and `checkInstallable` calls: relation lookups are memoized inside it, so the
 * second job over the same pool pays only for what the first did not touch.
 *
 * Preference order of one name's versions (apt's candidate policy): higher
 * remote priority first, then newer version. A lower-priority version is still
 * usable, but only chosen when no preferred one fits. The same name and version
 * offered by several remotes is one solvable: the highest-priority offer.
 *
 * The pool reads catalog tables (core/catalog-table.ts), never entry objects:
 * candidates that are CatalogRows are indexed straight from their table's
 * integer columns; plain candidates are first put into one table of their own.
 * Names get pool-wide ids (pool-names.ts), the candidates are indexed by
 * core/catalog-index.ts (the one indexer of versions), and relation answers
 * are memoized per table atom and clause id. Over exactly one catalog's rows
 * at one priority — a single remote, as `install` loads it — the pool is that
 * catalog's own index, stored in the catalog file, so building it is a few
 * array copies. Whether a solvable answers an atom is core/relation.ts's rule
 * (satisfiesOp, provideSatisfies), asked on the table's codes.
 */
import type { Candidate, CatalogEntry } from '../core/catalog.js';
import { tableOf } from '../core/catalog-builder.js';
import { type CatalogIndex, indexCandidates, indexCatalog } from '../core/catalog-index.js';
import { CONFLICTS, CatalogRow, type CatalogTable, OP_EQ, OP_NONE, PROVIDES, operatorCode } from '../core/catalog-table.js';
import { Tuples } from '../core/int-arrays.js';
import type { Atom, Clause } from '../core/relation.js';
import { provideSatisfies, providesAtom, satisfiesOp } from '../core/relation.js';
import { compareVersions as vercmp } from '../core/version.js';
import { EMPTY, type Universe } from './universe.js';
import { allRows, identity, namesAscend, pick, priorities } from './pool-arrays.js';
import { PoolNames } from './pool-names.js';

const NO_DEPS: readonly Int32Array[] = Object.freeze([]) as readonly Int32Array[];

/** A table the pool's solvables come from. */
interface Source {
  t: CatalogTable;
  /** Its index among the pool's tables (for PoolNames). */
  k: number;
  atomMemo: (Int32Array | undefined)[];
  clauseMemo: (Int32Array | undefined)[];
}

/** What a pool is built of (see the fields of Pool). */
interface Parts {
  /** The candidate index of each solvable. */
  kept: Int32Array;
  srcOf: Int32Array;
  rowOf: Int32Array;
  prio: Float64Array;
  nameOf: Int32Array;
  nameStart: Int32Array;
  provBy: { start: Int32Array; xs: Int32Array; ys: Int32Array };
  declBy: { start: Int32Array; xs: Int32Array; ys: Int32Array };
  provStart: Int32Array;
  provNames: Int32Array;
  provAtoms: Int32Array;
}

export class Pool implements Universe {
  readonly size: number;
  private readonly entries: readonly Candidate[];
  private readonly sources: Source[] = [];
  /** Each solvable's source (index into sources) and row in that table. */
  private readonly srcOf: Int32Array;
  private readonly rowOf: Int32Array;
  private readonly prio: Float64Array;
  /** Name ids: one per distinct name, shared by every table the pool reads. */
  private readonly names = new PoolNames();
  /** Name id of each solvable's own name. */
  private readonly nameOf: Int32Array;
  /**
   * Solvables are grouped by own name, preferred first: name id `n` owns ids
   * nameStart[n] .. nameStart[n+1]-1 (none for a name no package carries).
   */
  private readonly nameStart: Int32Array;
  /** ids[s] === s: the ranges above as Int32Array views. */
  private readonly ids: Int32Array;
  /** Name id → its providers through `provides`: solvable and provide atom (in the solvable's table). */
  private readonly provBy: { start: Int32Array; xs: Int32Array; ys: Int32Array };
  /** Name ids whose providers are sorted (lazily, on first use). */
  private readonly provSorted: Uint8Array;
  /** Name id → who declares a conflict on that name: solvable and conflict atom. */
  private readonly declBy: { start: Int32Array; xs: Int32Array; ys: Int32Array };
  /** Provides of each solvable: name ids provNames[provStart[s] .. provStart[s+1]), atoms in provAtoms. */
  private readonly provStart: Int32Array;
  private readonly provNames: Int32Array;
  private readonly provAtoms: Int32Array;
  /** Resolved atoms by text, for atoms that are not a table's (requests, installed packages). */
  private readonly atomMemo = new Map<string, Int32Array>();
  private readonly depMemo: (readonly Int32Array[] | undefined)[];
  private readonly partnerMemo: (Int32Array | undefined)[];
  /** Scratch marks for de-duplication: mark[s] === stamp means seen. */
  private readonly mark: Int32Array;
  private stamp = 0;

  /*
   * Building is a row of small steps, one loop each: V8 optimizes each loop on
   * its own, where one long constructor would be compiled again at every loop.
   */
  constructor(candidates: readonly Candidate[]) {
    const p = this.fromIndex(candidates) ?? this.build(candidates);
    this.size = p.kept.length;
    this.entries = pickEntries(p.kept, candidates);
    this.srcOf = p.srcOf;
    this.rowOf = p.rowOf;
    this.prio = p.prio;
    this.ids = identity(this.size);
    this.nameOf = p.nameOf;
    this.nameStart = p.nameStart;
    this.provBy = p.provBy;
    this.declBy = p.declBy;
    this.provStart = p.provStart;
    this.provNames = p.provNames;
    this.provAtoms = p.provAtoms;
    this.provSorted = new Uint8Array(this.names.count);
    this.depMemo = new Array(this.size);
    this.partnerMemo = new Array(this.size);
    this.mark = new Int32Array(this.size);
  }

  /**
   * The pool of one catalog's rows, all in row order at one priority (one
   * remote, as loadCandidates lists it): straight from the catalog's index
   * (catalog-index.ts), stored in the file or made here. Undefined for any
   * other set of candidates.
   */
  private fromIndex(candidates: readonly Candidate[]): Parts | undefined {
    const c0 = candidates[0];
    if (!(c0 instanceof CatalogRow)) return undefined;
    const t = c0.table;
    if (t.names === 0 || t.rows !== candidates.length || !allRows(candidates, t, c0.priority)) return undefined;
    const ix = t.index ?? indexCatalog(t);
    if (ix === undefined) return undefined;
    this.names.useSorted(this.addSource(t));
    const size = ix.solvableRow.length;
    return {
      kept: ix.solvableRow,
      srcOf: new Int32Array(size),
      rowOf: ix.solvableRow,
      prio: new Float64Array(size).fill(c0.priority),
      nameOf: pick(ix.solvableRow, t.name),
      nameStart: ix.nameStart,
      // Sorted in place on first use (sortProviders): this pool's own copy.
      provBy: { start: ix.provByStart, xs: ix.provByS.slice(), ys: ix.provByAtom.slice() },
      declBy: { start: ix.declByStart, xs: ix.declByS, ys: ix.declByAtom },
      provStart: ix.provStart,
      provNames: ix.provNames,
      provAtoms: ix.provAtoms,
    };
  }

  /**
   * The pool of any candidates: their tables' names interned into name ids
   * (own names first, in candidate order, then the names their relations
   * use), indexed by core/catalog-index.ts as a catalog's rows are.
   */
  private build(candidates: readonly Candidate[]): Parts {
    const { candSrc, candRow, plain } = this.locate(candidates);
    if (!plain && this.sources.length === 1) this.useSortedNames(this.sources[0]!, candRow);
    const candPrio = priorities(candidates);
    const candName = this.ownNameIds(candSrc, candRow);
    const ix: CatalogIndex = indexCandidates({
      name: candName,
      ownNames: this.names.count,
      version: (i) => this.candVersion(candSrc, candRow, i),
      priority: candPrio,
      relations: (solvableOf) => this.relationTuples(solvableOf, candSrc, candRow),
    });
    const kept = ix.solvableRow;
    return {
      kept,
      srcOf: pick(kept, candSrc),
      rowOf: pick(kept, candRow),
      prio: Float64Array.from(kept, (i) => candPrio[i]!),
      nameOf: pick(kept, candName),
      nameStart: ix.nameStart,
      provBy: { start: ix.provByStart, xs: ix.provByS, ys: ix.provByAtom },
      declBy: { start: ix.declByStart, xs: ix.declByS, ys: ix.declByAtom },
      provStart: ix.provStart,
      provNames: ix.provNames,
      provAtoms: ix.provAtoms,
    };
  }

  /** Each candidate's source and row: CatalogRows as they are, plain candidates put into one table of their own. */
  private locate(candidates: readonly Candidate[]): { candSrc: Int32Array; candRow: Int32Array; plain: boolean } {
    const n = candidates.length;
    const candSrc = new Int32Array(n);
    const candRow = new Int32Array(n);
    const tables = new Map<CatalogTable, number>();
    let plain: number[] | undefined;
    for (let i = 0; i < n; i++) {
      const c = candidates[i]!;
      if (c instanceof CatalogRow) {
        let k = tables.get(c.table);
        if (k === undefined) tables.set(c.table, (k = this.addSource(c.table)));
        candSrc[i] = k;
        candRow[i] = c.row;
      } else (plain ??= []).push(i);
    }
    if (plain !== undefined) {
      const k = this.addSource(tableOf(plain.map((i) => candidates[i]!), true));
      plain.forEach((i, row) => {
        candSrc[i] = k;
        candRow[i] = row;
      });
    }
    return { candSrc, candRow, plain: plain !== undefined };
  }

  /** The name id of each candidate's own name (made in candidate order). */
  private ownNameIds(candSrc: Int32Array, candRow: Int32Array): Int32Array {
    const out = new Int32Array(candSrc.length);
    for (let i = 0; i < candSrc.length; i++) {
      const src = this.sources[candSrc[i]!]!;
      out[i] = this.names.intern(src.k, src.t.name[candRow[i]!]!);
    }
    return out;
  }

  private candVersion(candSrc: Int32Array, candRow: Int32Array, i: number): string {
    const t = this.sources[candSrc[i]!]!.t;
    return t.strings.get(t.version[candRow[i]!]!);
  }

  /** (name id, solvable, atom) of every provide and every conflict, in candidate order, names interned as met. */
  private relationTuples(solvableOf: Int32Array, candSrc: Int32Array, candRow: Int32Array): { provides: Tuples; conflicts: Tuples; names: number } {
    const provides = new Tuples();
    const conflicts = new Tuples();
    for (let i = 0; i < solvableOf.length; i++) {
      const s = solvableOf[i]!;
      if (s < 0) continue;
      const src = this.sources[candSrc[i]!]!;
      const { rel, relItems, atomName } = src.t;
      const row = candRow[i]!;
      for (let k = rel[4 * row + PROVIDES]!, end = rel[4 * row + PROVIDES + 1]!; k < end; k++) {
        const a = relItems[k]!;
        provides.push3(this.names.intern(src.k, atomName[a]!), s, a);
      }
      for (let k = rel[4 * row + CONFLICTS]!, end = rel[4 * row + CONFLICTS + 1]!; k < end; k++) {
        const a = relItems[k]!;
        conflicts.push3(this.names.intern(src.k, atomName[a]!), s, a);
      }
    }
    return { provides, conflicts, names: this.names.count };
  }

  /**
   * Over the one catalog of a pool, when it lists its names sorted and the
   * candidates come in its row order (names ascending): its names' string ids
   * become the name ids. They number the names as first seen in the
   * candidates, as interning would, so solvables get the same ids.
   */
  private useSortedNames(src: Source, candRow: Int32Array): void {
    if (src.t.names > 0 && namesAscend(src.t.name, candRow)) this.names.useSorted(src.k);
  }

  private addSource(t: CatalogTable): number {
    const k = this.names.addTable(t);
    this.sources.push({ t, k, atomMemo: new Array(t.atomCount), clauseMemo: new Array(t.clauseCount) });
    return k;
  }

  private versionOf(s: number): string {
    const t = this.sources[this.srcOf[s]!]!.t;
    return t.strings.get(t.version[this.rowOf[s]!]!);
  }

  /** Whether provide atom `atom` of solvable s answers `op version` (core/relation.ts provideSatisfies, on the table's codes). */
  private provideAnswers(s: number, atom: number, op: number, version: string): boolean {
    const t = this.sources[this.srcOf[s]!]!.t;
    const provideOp = t.atomOp[atom]!;
    return provideSatisfies(provideOp, provideOp === OP_EQ ? t.strings.get(t.atomVersion[atom]!) : '', op, version);
  }

  /** Sort order of two versions of one name: priority, then version, both descending. */
  private prefer(a: number, b: number): number {
    return this.prio[b]! - this.prio[a]! || vercmp(this.versionOf(b), this.versionOf(a));
  }

  entry(s: number): Candidate {
    return this.entries[s]!;
  }

  named(name: string): Int32Array {
    const nid = this.names.ofString(name);
    return nid < 0 ? EMPTY : this.ids.subarray(this.nameStart[nid]!, this.nameStart[nid + 1]!);
  }

  find(name: string, version: string): number {
    for (const s of this.named(name)) if (this.versionOf(s) === version) return s;
    return -1;
  }

  resolve(atom: Atom): Int32Array {
    const c = atom.constraint;
    const key = c ? `${atom.name} ${c.op} ${c.version}` : atom.name;
    let out = this.atomMemo.get(key);
    if (out === undefined) {
      out = this.lookup(this.names.ofString(atom.name), c ? operatorCode(c.op) : OP_NONE, c ? c.version : '');
      this.atomMemo.set(key, out);
    }
    return out;
  }

  /** Solvables satisfying atom `a` of a source table. */
  private resolveAtomId(src: Source, a: number): Int32Array {
    let out = src.atomMemo[a];
    if (out === undefined) {
      const t = src.t;
      const op = t.atomOp[a]!;
      out = this.lookup(this.names.of(src.k, t.atomName[a]!), op, op === OP_NONE ? '' : t.strings.get(t.atomVersion[a]!));
      src.atomMemo[a] = out;
    }
    return out;
  }

  /** Own-name matches in preference order, then providers through `provides` (sorted once). */
  private lookup(nid: number, op: number, version: string): Int32Array {
    if (nid < 0) return EMPTY;
    const found: number[] = [];
    const stamp = ++this.stamp;
    for (let s = this.nameStart[nid]!, end = this.nameStart[nid + 1]!; s < end; s++) {
      if (op === OP_NONE || satisfiesOp(this.versionOf(s), op, version)) {
        this.mark[s] = stamp;
        found.push(s);
      }
    }
    this.sortProviders(nid);
    const { start, xs, ys } = this.provBy;
    for (let i = start[nid]!, end = start[nid + 1]!; i < end; i++) {
      const s = xs[i]!;
      if (this.mark[s] === stamp) continue;
      if (this.provideAnswers(s, ys[i]!, op, version)) {
        this.mark[s] = stamp;
        found.push(s);
      }
    }
    return found.length === 0 ? EMPTY : Int32Array.from(found);
  }

  /** Providers of a name, sorted on first use: priority desc, name, version desc, then catalog order. */
  private sortProviders(nid: number): void {
    if (this.provSorted[nid] === 1) return;
    this.provSorted[nid] = 1;
    const { start, xs, ys } = this.provBy;
    const from = start[nid]!;
    const len = start[nid + 1]! - from;
    if (len < 2) return;
    const order = Array.from({ length: len }, (_, i) => i);
    order.sort((i, j) => {
      const a = xs[from + i]!;
      const b = xs[from + j]!;
      const na = this.nameOf[a]!;
      const nb = this.nameOf[b]!;
      if (na !== nb) {
        const dp = this.prio[b]! - this.prio[a]!;
        if (dp !== 0) return dp;
        return this.names.string(na) < this.names.string(nb) ? -1 : 1;
      }
      return this.prefer(a, b) || i - j;
    });
    const sx = order.map((i) => xs[from + i]!);
    const sy = order.map((i) => ys[from + i]!);
    xs.set(sx, from);
    ys.set(sy, from);
  }

  /** Solvables satisfying any alternative of clause `c` of a source table, each once, in order. */
  private resolveClauseId(src: Source, c: number): Int32Array {
    const t = src.t;
    const from = t.clauseStart[c]!;
    const to = t.clauseStart[c + 1]!;
    if (to - from === 1) return this.resolveAtomId(src, t.clauseAtoms[from]!);
    let out = src.clauseMemo[c];
    if (out === undefined) {
      const parts: Int32Array[] = [];
      for (let k = from; k < to; k++) parts.push(this.resolveAtomId(src, t.clauseAtoms[k]!));
      out = this.union(parts);
      src.clauseMemo[c] = out;
    }
    return out;
  }

  /** The solvables of `parts`, first occurrence kept. Resolves nothing itself, so the stamp is its own. */
  private union(parts: readonly Int32Array[]): Int32Array {
    const found: number[] = [];
    const stamp = ++this.stamp;
    for (const part of parts) {
      for (let i = 0; i < part.length; i++) {
        const s = part[i]!;
        if (this.mark[s] !== stamp) {
          this.mark[s] = stamp;
          found.push(s);
        }
      }
    }
    return found.length === 0 ? EMPTY : Int32Array.from(found);
  }

  /** Providers of a whole clause: each alternative's providers in turn, without repeats. */
  resolveClause(clause: Clause): Int32Array {
    if (clause.length === 1) return this.resolve(clause[0]!);
    return this.union(clause.map((atom) => this.resolve(atom)));
  }

  deps(s: number): readonly Int32Array[] {
    let out = this.depMemo[s];
    if (out === undefined) {
      const src = this.sources[this.srcOf[s]!]!;
      const { rel, relItems } = src.t;
      const row = this.rowOf[s]!;
      const from = rel[4 * row]!;
      const to = rel[4 * row + 1]!;
      if (from === to) out = NO_DEPS;
      else {
        const list: Int32Array[] = [];
        for (let k = from; k < to; k++) list.push(this.resolveClauseId(src, relItems[k]!));
        out = list;
      }
      this.depMemo[s] = out;
    }
    return out;
  }

  partners(s: number): Int32Array {
    let out = this.partnerMemo[s];
    if (out === undefined) {
      const found = this.conflicting(this.entries[s]!, s);
      out = found.length === 0 ? EMPTY : Int32Array.from(found);
      this.partnerMemo[s] = out;
    }
    return out;
  }

  /**
   * Pool solvables in conflict with `e` in either direction (e declares a
   * conflict they satisfy, or they declare one e satisfies), except `self`.
   * `self` is e's solvable, or -1 for a package the pool does not hold.
   */
  conflicting(e: CatalogEntry, self: number): number[] {
    // Resolve first: lookups use the marks too.
    const declared: Int32Array[] = [];
    if (self >= 0) {
      const src = this.sources[this.srcOf[self]!]!;
      const { rel, relItems } = src.t;
      const row = this.rowOf[self]!;
      for (let k = rel[4 * row + CONFLICTS]!, end = rel[4 * row + CONFLICTS + 1]!; k < end; k++) declared.push(this.resolveAtomId(src, relItems[k]!));
    } else {
      for (const atom of e.conflicts) declared.push(this.resolve(atom));
    }
    const found: number[] = [];
    const stamp = ++this.stamp;
    if (self >= 0) this.mark[self] = stamp;
    for (const qs of declared) {
      for (let i = 0; i < qs.length; i++) {
        const q = qs[i]!;
        if (this.mark[q] !== stamp) {
          this.mark[q] = stamp;
          found.push(q);
        }
      }
    }
    if (self >= 0) {
      this.declarersAgainst(self, undefined, this.nameOf[self]!, stamp, found);
      for (let i = this.provStart[self]!; i < this.provStart[self + 1]!; i++) this.declarersAgainst(self, undefined, this.provNames[i]!, stamp, found);
    } else {
      this.declarersAgainst(-1, e, this.names.ofString(e.name), stamp, found);
      for (const p of e.provides) this.declarersAgainst(-1, e, this.names.ofString(p.name), stamp, found);
    }
    return found;
  }

  /** Adds the declarers of a conflict on name `nid` that solvable `s` (or entry `e`) answers. */
  private declarersAgainst(s: number, e: CatalogEntry | undefined, nid: number, stamp: number, found: number[]): void {
    if (nid < 0) return;
    const { start, xs, ys } = this.declBy;
    for (let i = start[nid]!, end = start[nid + 1]!; i < end; i++) {
      const d = xs[i]!;
      if (this.mark[d] === stamp) continue;
      const hit = e === undefined ? this.answersAtom(s, d, ys[i]!) : providesAtom(e, this.sources[this.srcOf[d]!]!.t.atom(ys[i]!));
      if (hit) {
        this.mark[d] = stamp;
        found.push(d);
      }
    }
  }

  /** Whether solvable `s` answers atom `a` of solvable `d`'s table (core/relation.ts providesAtom, on ids). */
  private answersAtom(s: number, d: number, a: number): boolean {
    const src = this.sources[this.srcOf[d]!]!;
    const t = src.t;
    const nid = this.names.of(src.k, t.atomName[a]!);
    const op = t.atomOp[a]!;
    const version = op === OP_NONE ? '' : t.strings.get(t.atomVersion[a]!);
    if (this.nameOf[s] === nid && satisfiesOp(this.versionOf(s), op, version)) return true;
    for (let i = this.provStart[s]!; i < this.provStart[s + 1]!; i++) {
      if (this.provNames[i] === nid && this.provideAnswers(s, this.provAtoms[i]!, op, version)) return true;
    }
    return false;
  }

  siblings(s: number): Int32Array {
    const nid = this.nameOf[s]!;
    const from = this.nameStart[nid]!;
    const to = this.nameStart[nid + 1]!;
    if (to - from === 1) return EMPTY;
    return this.ids.slice(from, to).filter((x) => x !== s);
  }
}

/** The candidates at `kept`, in order: a packed array (Array.from over a typed array with a mapper is slow, `new Array(n)` is holey). */
function pickEntries(kept: Int32Array, candidates: readonly Candidate[]): Candidate[] {
  const out: Candidate[] = [];
  for (let s = 0; s < kept.length; s++) out.push(candidates[kept[s]!]!);
  return out;
}

/** Indexes candidates once for any number of solver jobs. */
export function buildPool(candidates: readonly Candidate[]): Pool {
  return new Pool(candidates);
}
