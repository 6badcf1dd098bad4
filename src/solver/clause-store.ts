/**
 * Flat storage of clauses: literals in one growing Int32Array, and per clause
 * its start, size, kind and two kind-specific facts (who owns it, which
 * relation it came from) that explanations turn back into words.
 */
export const LEARNED = 0;
/** `owner` of a root requirement: on the agenda from the start. */
export const OWNER_ROOT = -1;
/** `owner` of a clause that is never a requirement (conflicts, learned clauses). */
export const OWNER_NONE = -2;

function grow(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const next = new Int32Array(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

export class ClauseStore {
  lits: Int32Array<ArrayBuffer> = new Int32Array(4096);
  private litsLen = 0;
  start: Int32Array<ArrayBuffer> = new Int32Array(1024);
  size: Int32Array<ArrayBuffer> = new Int32Array(1024);
  kind: Int32Array<ArrayBuffer> = new Int32Array(1024);
  infoA: Int32Array<ArrayBuffer> = new Int32Array(1024);
  infoB: Int32Array<ArrayBuffer> = new Int32Array(1024);
  /** For requirement clauses: the variables that satisfy it, most preferred first. */
  readonly pref: (Int32Array | null)[] = [];
  /** Learned clause → the clauses it was resolved from (only with proofs on). */
  readonly antecedents = new Map<number, Int32Array>();
  clauseCount = 0;

  protected store(lits: ArrayLike<number>, kind: number, a: number, b: number, pref: Int32Array | null): number {
    const c = this.clauseCount++;
    if (c === this.start.length) {
      this.start = grow(this.start, c + 1);
      this.size = grow(this.size, c + 1);
      this.kind = grow(this.kind, c + 1);
      this.infoA = grow(this.infoA, c + 1);
      this.infoB = grow(this.infoB, c + 1);
    }
    const n = lits.length;
    this.lits = grow(this.lits, this.litsLen + n);
    for (let i = 0; i < n; i++) this.lits[this.litsLen + i] = lits[i]!;
    this.start[c] = this.litsLen;
    this.size[c] = n;
    this.kind[c] = kind;
    this.infoA[c] = a;
    this.infoB[c] = b;
    this.pref.push(pref);
    this.litsLen += n;
    return c;
  }

  /** The literals of clause c (a copy). */
  clauseLits(c: number): number[] {
    return Array.from(this.lits.subarray(this.start[c]!, this.start[c]! + this.size[c]!));
  }
}
