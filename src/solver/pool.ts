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
 */
import type { Candidate, CatalogEntry } from '../core/catalog.js';
import type { Atom, Clause } from '../core/relation.js';
import { EMPTY, type Universe, priorityOf } from './universe.js';
import { satisfiesConstraint as satisfies } from '../core/relation.js';
import { compareVersions as vercmp } from '../core/version.js';

/** providesAtom (core/relation.ts) with the solver's comparison. */
function answers(e: CatalogEntry, atom: Atom): boolean {
  if (e.name === atom.name && satisfies(e.version, atom.constraint)) return true;
  for (const p of e.provides) {
    if (p.name !== atom.name) continue;
    if (!atom.constraint) return true;
    if (p.constraint && p.constraint.op === '=' && satisfies(p.constraint.version, atom.constraint)) return true;
  }
  return false;
}

export class Pool implements Universe {
  readonly size: number;
  private readonly entries: readonly Candidate[];
  private readonly nameIds = new Map<string, number>();
  /** Name id of each solvable's own name. */
  private readonly nameOf: Int32Array;
  /**
   * Solvables are grouped by own name, preferred first: name id `n` owns ids
   * nameStart[n] .. nameStart[n+1]-1 (none for a name no package carries).
   */
  private nameStart: Int32Array;
  /** ids[s] === s: the ranges above as Int32Array views. */
  private readonly ids: Int32Array;
  /** Name id → [solvable, provided version or undefined] pairs, from `provides`. */
  private readonly providers: ({ ids: number[]; versions: (string | undefined)[]; unsorted: boolean } | undefined)[] = [];
  /** Name id → flattened [declarer, conflict index] pairs: who declares a conflict on that name. */
  private readonly conflictsOn: (number[] | undefined)[] = [];
  /** Resolved atoms by text, for atoms built per request. */
  private readonly atomMemo = new Map<string, Int32Array>();
  /**
   * Resolved frozen atoms and clauses by identity: catalogs (the Debian
   * importer does) share one frozen object per distinct relation text.
   */
  private readonly atomObjMemo = new Map<Atom, Int32Array>();
  private readonly clauseMemo = new Map<Clause, Int32Array>();
  private readonly depMemo: (readonly Int32Array[] | undefined)[];
  /** Name ids each solvable provides: provNames[provStart[s] .. provStart[s+1]). */
  private readonly provStart: Int32Array;
  private readonly provNames: Int32Array;
  private readonly partnerMemo: (Int32Array | undefined)[];
  /** Scratch marks for de-duplication: mark[s] === stamp means seen. */
  private readonly mark: Int32Array;
  private stamp = 0;

  constructor(candidates: readonly Candidate[]) {
    // Group by name: solvables of one name get consecutive ids, preferred first.
    const nameOfCand = new Int32Array(candidates.length);
    const counts: number[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const nid = this.intern(candidates[i]!.name);
      nameOfCand[i] = nid;
      counts[nid] = (counts[nid] ?? 0) + 1;
    }
    const names = counts.length;
    const fill = new Int32Array(names + 1);
    for (let nid = 0; nid < names; nid++) fill[nid + 1] = fill[nid]! + counts[nid]!;
    const grouped = new Int32Array(candidates.length);
    for (let i = 0; i < candidates.length; i++) {
      const nid = nameOfCand[i]!;
      grouped[fill[nid]!] = i;
      fill[nid] = fill[nid]! + 1;
    }
    const kept: Candidate[] = [];
    /** Candidate index → its solvable, or -1 for a repeated offer of the same version. */
    const solvableOf = new Int32Array(candidates.length).fill(-1);
    this.nameStart = new Int32Array(names + 1);
    for (let nid = 0, at = 0; nid < names; nid++) {
      const n = counts[nid]!;
      this.nameStart[nid] = kept.length;
      if (n === 1) {
        solvableOf[grouped[at]!] = kept.length;
        kept.push(candidates[grouped[at]!]!);
      } else {
        const group = Array.from(grouped.subarray(at, at + n));
        group.sort((i, j) => {
          const a = candidates[i]!;
          const b = candidates[j]!;
          return priorityOf(b) - priorityOf(a) || vercmp(b.version, a.version);
        });
        const first = kept.length;
        for (const i of group) {
          // The same version from another remote is the same package: keep the preferred offer.
          const c = candidates[i]!;
          let twin = false;
          for (let k = first; k < kept.length && !twin; k++) twin = kept[k]!.version === c.version;
          if (twin) continue;
          solvableOf[i] = kept.length;
          kept.push(c);
        }
      }
      at += n;
    }
    this.nameStart[names] = kept.length;
    this.entries = kept;
    this.size = kept.length;
    this.ids = new Int32Array(this.size);
    this.nameOf = new Int32Array(this.size);
    for (let nid = 0; nid < names; nid++) {
      for (let s = this.nameStart[nid]!; s < this.nameStart[nid + 1]!; s++) {
        this.ids[s] = s;
        this.nameOf[s] = nid;
      }
    }
    this.depMemo = new Array(this.size);
    this.partnerMemo = new Array(this.size);
    this.mark = new Int32Array(this.size);
    // Provides and conflicts, read in the candidates' own order (kind to the memory cache).
    const provPairs: number[] = [];
    this.provStart = new Int32Array(this.size + 1);
    for (let i = 0; i < candidates.length; i++) {
      const s = solvableOf[i]!;
      if (s < 0) continue;
      const e = candidates[i]!;
      for (const p of e.provides) {
        const pid = this.intern(p.name);
        provPairs.push(s, pid);
        this.provStart[s + 1] = this.provStart[s + 1]! + 1;
        const prov = (this.providers[pid] ??= { ids: [], versions: [], unsorted: true });
        prov.ids.push(s);
        prov.versions.push(p.constraint?.op === '=' ? p.constraint.version : undefined);
      }
      const conflicts = e.conflicts;
      for (let k = 0; k < conflicts.length; k++) (this.conflictsOn[this.intern(conflicts[k]!.name)] ??= []).push(s, k);
    }
    for (let s = 0; s < this.size; s++) this.provStart[s + 1] = this.provStart[s + 1]! + this.provStart[s]!;
    this.provNames = new Int32Array(provPairs.length / 2);
    const next = this.provStart.slice(0, this.size);
    for (let k = 0; k < provPairs.length; k += 2) {
      const s = provPairs[k]!;
      this.provNames[next[s]!] = provPairs[k + 1]!;
      next[s] = next[s]! + 1;
    }
    // Names only provided or conflicted with own an empty range.
    const start = new Int32Array(this.nameIds.size + 1).fill(this.size);
    start.set(this.nameStart);
    this.nameStart = start;
  }

  private intern(name: string): number {
    let id = this.nameIds.get(name);
    if (id === undefined) {
      id = this.nameIds.size;
      this.nameIds.set(name, id);
    }
    return id;
  }

  /** Sort order of two versions of one name: priority, then version, both descending. */
  private prefer(a: number, b: number): number {
    const ea = this.entries[a]!;
    const eb = this.entries[b]!;
    return priorityOf(eb) - priorityOf(ea) || vercmp(eb.version, ea.version);
  }

  entry(s: number): Candidate {
    return this.entries[s]!;
  }

  named(name: string): Int32Array {
    const nid = this.nameIds.get(name);
    return nid === undefined ? EMPTY : this.ids.subarray(this.nameStart[nid]!, this.nameStart[nid + 1]!);
  }

  find(name: string, version: string): number {
    for (const s of this.named(name)) if (this.entries[s]!.version === version) return s;
    return -1;
  }

  resolve(atom: Atom): Int32Array {
    if (Object.isFrozen(atom)) {
      let out = this.atomObjMemo.get(atom);
      if (out === undefined) {
        out = this.lookup(atom);
        this.atomObjMemo.set(atom, out);
      }
      return out;
    }
    const c = atom.constraint;
    const key = c ? `${atom.name} ${c.op} ${c.version}` : atom.name;
    let out = this.atomMemo.get(key);
    if (out === undefined) {
      out = this.lookup(atom);
      this.atomMemo.set(key, out);
    }
    return out;
  }

  private lookup(atom: Atom): Int32Array {
    const c = atom.constraint;
    let out: Int32Array;
    const nid = this.nameIds.get(atom.name);
    if (nid === undefined) out = EMPTY;
    else {
      const found: number[] = [];
      const stamp = ++this.stamp;
      for (let s = this.nameStart[nid]!, end = this.nameStart[nid + 1]!; s < end; s++) {
        if (c === undefined || satisfies(this.entries[s]!.version, c)) {
          this.mark[s] = stamp;
          found.push(s);
        }
      }
      const prov = this.sortedProviders(nid);
      for (let i = 0; i < prov.ids.length; i++) {
        const s = prov.ids[i]!;
        if (this.mark[s] === stamp) continue;
        const v = prov.versions[i];
        if (c === undefined || (v !== undefined && satisfies(v, c))) {
          this.mark[s] = stamp;
          found.push(s);
        }
      }
      out = found.length === 0 ? EMPTY : Int32Array.from(found);
    }
    return out;
  }

  /** Providers through `provides`, sorted once: priority desc, name, version desc. */
  private sortedProviders(nid: number): { ids: number[]; versions: (string | undefined)[] } {
    const prov = this.providers[nid];
    if (prov === undefined) return { ids: [], versions: [] };
    if (!prov.unsorted) return prov;
    prov.unsorted = false;
    if (prov.ids.length > 1) {
      const order = prov.ids.map((_, i) => i);
      order.sort((i, j) => {
        const a = prov.ids[i]!;
        const b = prov.ids[j]!;
        const ea = this.entries[a]!;
        const eb = this.entries[b]!;
        if (ea.name !== eb.name) {
          const dp = priorityOf(eb) - priorityOf(ea);
          if (dp !== 0) return dp;
          return ea.name < eb.name ? -1 : 1;
        }
        return this.prefer(a, b) || i - j;
      });
      const ids = order.map((i) => prov.ids[i]!);
      const versions = order.map((i) => prov.versions[i]);
      prov.ids = ids;
      prov.versions = versions;
    }
    return prov;
  }

  /** Providers of a whole clause: each alternative's providers in turn, without repeats. */
  resolveClause(clause: Clause): Int32Array {
    if (clause.length === 1) return this.resolve(clause[0]!);
    let out = this.clauseMemo.get(clause);
    if (out !== undefined) return out;
    const found: number[] = [];
    const stamp = ++this.stamp;
    for (const atom of clause) {
      for (const s of this.resolve(atom)) {
        if (this.mark[s] !== stamp) {
          this.mark[s] = stamp;
          found.push(s);
        }
      }
    }
    out = found.length === 0 ? EMPTY : Int32Array.from(found);
    if (Object.isFrozen(clause)) this.clauseMemo.set(clause, out);
    return out;
  }

  deps(s: number): readonly Int32Array[] {
    let out = this.depMemo[s];
    if (out === undefined) {
      const d = this.entries[s]!.depends;
      out = d.length === 0 ? [] : d.map((clause) => this.resolveClause(clause));
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
   */
  conflicting(e: CatalogEntry, self: number): number[] {
    const found: number[] = [];
    const stamp = ++this.stamp;
    if (self >= 0) this.mark[self] = stamp;
    for (const atom of e.conflicts) {
      for (const q of this.resolve(atom)) {
        if (this.mark[q] !== stamp) {
          this.mark[q] = stamp;
          found.push(q);
        }
      }
    }
    if (self >= 0) {
      this.declarersAgainst(e, this.nameOf[self], stamp, found);
      for (let i = this.provStart[self]!; i < this.provStart[self + 1]!; i++) this.declarersAgainst(e, this.provNames[i], stamp, found);
    } else {
      this.declarersAgainst(e, this.nameIds.get(e.name), stamp, found);
      for (const p of e.provides) this.declarersAgainst(e, this.nameIds.get(p.name), stamp, found);
    }
    return found;
  }

  private declarersAgainst(e: CatalogEntry, nid: number | undefined, stamp: number, found: number[]): void {
    if (nid === undefined) return;
    const decl = this.conflictsOn[nid];
    if (decl === undefined) return;
    for (let i = 0; i < decl.length; i += 2) {
      const d = decl[i]!;
      if (this.mark[d] === stamp) continue;
      if (answers(e, this.entries[d]!.conflicts[decl[i + 1]!]!)) {
        this.mark[d] = stamp;
        found.push(d);
      }
    }
  }

  siblings(s: number): Int32Array {
    const nid = this.nameOf[s]!;
    const from = this.nameStart[nid]!;
    const to = this.nameStart[nid + 1]!;
    if (to - from === 1) return EMPTY;
    return this.ids.slice(from, to).filter((x) => x !== s);
  }
}

/** Indexes candidates once for any number of solver jobs. */
export function buildPool(candidates: readonly Candidate[]): Pool {
  return new Pool(candidates);
}
