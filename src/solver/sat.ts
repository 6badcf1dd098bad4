/**
 * A CDCL SAT engine shaped for package solving (after libsolv and resolvo).
 *
 * Variables are solvables; literal `2v` means "v is installed", `2v+1` "v is
 * not". Clauses are generated lazily: the first time a variable becomes true,
 * `onActivate(v)` adds every clause about v (its dependencies, conflicts, other
 * versions of its name). A variable never true keeps its clauses unadded, which
 * is sound because each of them is satisfied by v being false, and complete
 * because a final assignment (unassigned = false) then satisfies every clause
 * whether added or not.
 *
 * Decisions are not VSIDS: first the soft preferences in order (keep what is
 * installed, update to newer), then the first unsatisfied *requirement* clause
 * in the agenda (the dependencies of installed-to-be packages, in the order
 * they became true), choosing its most preferred provider. The result is a
 * greedy, apt-like choice; conflicts are learned (1UIP) so search is complete.
 *
 * A requirement clause has the form (¬owner ∨ p1 ∨ … ∨ pk) or, for a root
 * requirement, (p1 ∨ … ∨ pk); `pref` lists p1…pk in preference order.
 */
import { ClauseStore, LEARNED, OWNER_NONE, OWNER_ROOT } from './clause-store.js';
import { learnFrom } from './analyze.js';
import { type Workspace, acquireWorkspace, releaseWorkspace } from './workspace.js';

export { LEARNED, OWNER_NONE, OWNER_ROOT };

const NO_REASON = -1;

export class Sat extends ClauseStore {
  readonly nVars: number;
  /** 0 unassigned, 1 true, -1 false. */
  readonly vals: Int8Array;
  readonly levels: Int32Array;
  readonly reasons: Int32Array;
  private readonly activated: Uint8Array;
  readonly trail: Int32Array;
  trailLen = 0;
  private qhead = 0;
  level = 0;
  private readonly levelStart: Int32Array;
  private readonly savedAgendaLen: Int32Array;
  private readonly savedAgendaPos: Int32Array;
  private readonly savedPrefPos: Int32Array;
  private readonly watches: (number[] | undefined)[];
  /** Requirement clauses owned by each variable. */
  private readonly reqs: (number[] | undefined)[];
  private agenda = new Int32Array(1024);
  private agendaLen = 0;
  private agendaPos = 0;
  /** Soft preferences: decide the first unassigned variable of each, unless one is already true. */
  readonly prefs: Int32Array[] = [];
  private prefPos = 0;
  private pendingConflict = -1;
  /** The conflicting clause at level 0 once `search` returned false. */
  finalConflict = -1;
  /** Scratch marks for conflict analysis; all 0 between analyses. */
  readonly seen: Uint8Array;
  /** Called once per variable, when it first becomes true; adds the clauses about it. */
  onActivate: ((v: number) => void) | undefined;
  /** Called after every backtrack. */
  onBacktrack: (() => void) | undefined;
  conflicts = 0;
  decisions = 0;

  private readonly ws: Workspace;
  private released = false;

  constructor(nVars: number, readonly proof: boolean) {
    super();
    this.nVars = nVars;
    const ws = acquireWorkspace(nVars);
    this.ws = ws;
    this.vals = ws.vals;
    this.levels = ws.levels;
    this.reasons = ws.reasons;
    this.activated = ws.activated;
    this.trail = ws.trail;
    this.levelStart = ws.levelStart;
    this.savedAgendaLen = ws.savedAgendaLen;
    this.savedAgendaPos = ws.savedAgendaPos;
    this.savedPrefPos = ws.savedPrefPos;
    this.watches = ws.watches;
    this.reqs = ws.reqs;
    this.seen = ws.seen;
  }

  /** Hands the engine's arrays back for reuse; the engine must not be used afterwards. */
  release(): void {
    if (this.released) return;
    this.released = true;
    releaseWorkspace(this.ws, this.trailLen);
  }

  value(lit: number): number {
    const v = this.vals[lit >> 1]!;
    return lit & 1 ? -v : v;
  }

  private assign(lit: number, reason: number): void {
    const v = lit >> 1;
    this.vals[v] = lit & 1 ? -1 : 1;
    this.levels[v] = this.level;
    this.reasons[v] = reason;
    this.trail[this.trailLen++] = lit;
  }

  private watch(lit: number, c: number): void {
    const w = this.watches[lit];
    if (w === undefined) {
      this.watches[lit] = [c];
      this.ws.watchedLits.push(lit);
    } else w.push(c);
  }

  private pushAgenda(c: number): void {
    if (this.agendaLen === this.agenda.length) {
      const next = new Int32Array(this.agenda.length * 2);
      next.set(this.agenda);
      this.agenda = next;
    }
    this.agenda[this.agendaLen++] = c;
  }

  /**
   * Adds a clause under the current assignment: watches the two best literals
   * (true, unassigned, then false at the highest level), propagates it if it
   * is unit and records a conflict if it is false. Returns its id.
   */
  addClause(lits: ArrayLike<number>, kind: number, a: number, b: number, owner: number, pref: Int32Array | null): number {
    const c = this.store(lits, kind, a, b, pref);
    if (owner >= 0) {
      const r = this.reqs[owner];
      if (r === undefined) {
        this.reqs[owner] = [c];
        this.ws.reqOwners.push(owner);
      } else r.push(c);
    } else if (owner === OWNER_ROOT) this.pushAgenda(c);
    const st = this.start[c]!;
    const n = lits.length;
    if (n === 0) {
      this.pendingConflict = c;
      return c;
    }
    if (n > 1) {
      for (let slot = 0; slot < 2; slot++) {
        let best = slot;
        let bestRank = this.rank(this.lits[st + slot]!);
        for (let k = slot + 1; k < n; k++) {
          const r = this.rank(this.lits[st + k]!);
          if (r > bestRank) {
            best = k;
            bestRank = r;
          }
        }
        const t = this.lits[st + slot]!;
        this.lits[st + slot] = this.lits[st + best]!;
        this.lits[st + best] = t;
      }
      this.watch(this.lits[st]!, c);
      this.watch(this.lits[st + 1]!, c);
    }
    const l0 = this.lits[st]!;
    const v0 = this.value(l0);
    if (v0 < 0) {
      // A false unit clause is never watched: it must be the conflict handled (see learn).
      if (this.pendingConflict < 0 || n === 1) this.pendingConflict = c;
    } else if (v0 === 0 && (n === 1 || this.value(this.lits[st + 1]!) < 0)) {
      this.assign(l0, c);
    }
    return c;
  }

  /** Watch preference: true above unassigned above false, later levels first among false. */
  private rank(lit: number): number {
    const val = this.value(lit);
    if (val > 0) return this.nVars + 3;
    if (val === 0) return this.nVars + 2;
    return this.levels[lit >> 1]!;
  }

  /** Unit propagation; returns a conflicting clause or -1. */
  propagate(): number {
    const { vals } = this;
    // Clause arrays are reallocated when the store grows, which onActivate can make it do.
    let { lits, start, size } = this;
    while (this.pendingConflict < 0 && this.qhead < this.trailLen) {
      const lit = this.trail[this.qhead++]!;
      if ((lit & 1) === 0) {
        const v = lit >> 1;
        if (this.activated[v] === 0) {
          this.activated[v] = 1;
          this.ws.activatedList.push(v);
          this.onActivate?.(v);
          ({ lits, start, size } = this);
          if (this.pendingConflict >= 0) break;
        }
        const r = this.reqs[v];
        if (r !== undefined) for (const c of r) this.pushAgenda(c);
      }
      const falseLit = lit ^ 1;
      const ws = this.watches[falseLit];
      if (ws === undefined) continue;
      const n = ws.length;
      let i = 0;
      let j = 0;
      while (i < n) {
        const c = ws[i++]!;
        const st = start[c]!;
        let other = lits[st]!;
        if (other === falseLit) {
          other = lits[st + 1]!;
          lits[st] = other;
          lits[st + 1] = falseLit;
        }
        const ov = (other & 1 ? -vals[other >> 1]! : vals[other >> 1]!) as number;
        if (ov > 0) {
          ws[j++] = c;
          continue;
        }
        const end = st + size[c]!;
        let moved = false;
        for (let k = st + 2; k < end; k++) {
          const l = lits[k]!;
          const lv = l & 1 ? -vals[l >> 1]! : vals[l >> 1]!;
          if (lv >= 0) {
            lits[st + 1] = l;
            lits[k] = falseLit;
            this.watch(l, c);
            moved = true;
            break;
          }
        }
        if (moved) continue;
        ws[j++] = c;
        if (ov < 0) {
          while (i < n) ws[j++] = ws[i++]!;
          ws.length = j;
          this.qhead = this.trailLen;
          return c;
        }
        this.assign(other, c);
      }
      if (j !== n) ws.length = j;
    }
    const c = this.pendingConflict;
    this.pendingConflict = -1;
    return c;
  }

  /** Opens a decision level and makes `lit` true on it. */
  decide(lit: number): void {
    const l = ++this.level;
    this.levelStart[l] = this.trailLen;
    this.savedAgendaLen[l] = this.agendaLen;
    this.savedAgendaPos[l] = this.agendaPos;
    this.savedPrefPos[l] = this.prefPos;
    this.decisions++;
    this.assign(lit, NO_REASON);
  }

  backtrack(to: number): void {
    if (this.level <= to) return;
    const from = this.levelStart[to + 1]!;
    for (let i = this.trailLen - 1; i >= from; i--) {
      const v = this.trail[i]! >> 1;
      this.vals[v] = 0;
      this.reasons[v] = NO_REASON;
    }
    this.trailLen = from;
    this.qhead = from;
    this.agendaLen = this.savedAgendaLen[to + 1]!;
    this.agendaPos = this.savedAgendaPos[to + 1]!;
    this.prefPos = this.savedPrefPos[to + 1]!;
    this.level = to;
    this.pendingConflict = -1;
    this.onBacktrack?.();
  }

  /** The next decision literal, or -1 when every preference and requirement is settled. */
  nextDecision(): number {
    const { vals, prefs } = this;
    pref: while (this.prefPos < prefs.length) {
      const p = prefs[this.prefPos]!;
      let free = -1;
      for (let k = 0; k < p.length; k++) {
        const val = vals[p[k]!]!;
        if (val > 0) {
          this.prefPos++;
          continue pref;
        }
        if (val === 0 && free < 0) free = p[k]!;
      }
      if (free >= 0) return 2 * free;
      this.prefPos++;
    }
    agenda: while (this.agendaPos < this.agendaLen) {
      const p = this.pref[this.agenda[this.agendaPos]!]!;
      let free = -1;
      for (let k = 0; k < p.length; k++) {
        const val = vals[p[k]!]!;
        if (val > 0) {
          this.agendaPos++;
          continue agenda;
        }
        if (val === 0 && free < 0) free = p[k]!;
      }
      if (free < 0) throw new Error('solver: a requirement is false but was not reported as a conflict');
      return 2 * free;
    }
    return -1;
  }

  /** Runs to a model (true) or to a conflict at level 0 (false, see finalConflict). */
  search(): boolean {
    for (;;) {
      const confl = this.propagate();
      if (confl >= 0) {
        if (!this.learn(confl)) {
          this.finalConflict = confl;
          return false;
        }
        continue;
      }
      const lit = this.nextDecision();
      if (lit < 0) return true;
      this.decide(lit);
    }
  }

  /** Learns from a conflict (see analyze.ts); false when the conflict is at level 0. */
  learn(confl: number): boolean {
    this.conflicts++;
    return learnFrom(this, confl);
  }

  /**
   * Stores a learned clause whose first literal is asserting, backjumps to the
   * level of its second literal and asserts the first. `ante`: its antecedents.
   */
  assertLearned(learnt: number[], ante: number[] | null): void {
    let bt = 0;
    for (let i = 1; i < learnt.length; i++) {
      const lv = this.levels[learnt[i]! >> 1]!;
      if (lv > bt) {
        bt = lv;
        const t = learnt[1]!;
        learnt[1] = learnt[i]!;
        learnt[i] = t;
      }
    }
    this.backtrack(bt);
    const id = this.store(learnt, LEARNED, -1, -1, null);
    if (ante) this.antecedents.set(id, Int32Array.from(ante.filter((x) => x >= 0)));
    if (learnt.length > 1) {
      this.watch(learnt[0]!, id);
      this.watch(learnt[1]!, id);
    }
    this.assign(learnt[0]!, id);
  }

  /** Asserts a unit clause at level 0 (after backtracking there); false when its literal is false there. */
  assertUnit(c: number): boolean {
    this.backtrack(0);
    const l = this.lits[this.start[c]!]!;
    if (this.value(l) < 0) return false;
    if (this.value(l) === 0) this.assign(l, c);
    return true;
  }

  /** The variables currently true. */
  trueVars(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.trailLen; i++) {
      const lit = this.trail[i]!;
      if ((lit & 1) === 0) out.push(lit >> 1);
    }
    return out;
  }

  isActivated(v: number): boolean {
    return this.activated[v] === 1;
  }
}
