/**
 * Expectations by columns: what goes to the check workers. A `PathExpect`
 * object per path cost `verify` of a 300,000-file package its building, its
 * structured clone into the workers (~0.4 s of the calling thread) and its
 * collection; a batch posted as a few columns costs one string of paths and
 * a few typed arrays. The calling thread adds paths relative to one prefix
 * (the image root) and never builds the host path: the worker does.
 */
import { ZpkgError } from '../core/errors.js';
import type { PathExpect } from './path-check.js';

const KINDS: readonly PathExpect['kind'][] = ['file', 'dir', 'link', 'any'];
const CODE: Readonly<Record<PathExpect['kind'], number>> = { file: 0, dir: 1, link: 2, any: 3 };
/** A number column's "not checked". */
const UNSET = -1;

/** A packed batch's numbers per path, in this order. */
const KIND = 0;
const SIZE = 1;
const MODE = 2;
const UID = 3;
const GID = 4;
const STRIDE = 5;

/**
 * One batch as it is posted. `paths` and `digests` hold one entry each per
 * path, each ended by NUL (no image path holds one: core/paths.ts; a digest
 * is hex). `numbers` holds STRIDE numbers per path (kind, size, mode, uid,
 * gid), -1 where that field is not checked, in one buffer the post
 * transfers (several typed arrays per message cost a buffer each to clone;
 * Float64: a uid may be 2^32 - 1, which an Int32 would read as -1).
 */
export interface PackedExpects {
  prefix: string;
  count: number;
  paths: string;
  numbers: Float64Array;
  digests: string;
  /** Link targets by index in the batch: links are few. */
  targets: [number, string][];
}

/** A growing list of expectations, kept by columns; paths relative to `prefix`. */
export class ExpectList {
  private readonly paths: string[] = [];
  private readonly digests: string[] = [];
  /**
   * STRIDE numbers per path, as packed: a batch is then one copy. Starts
   * small and doubles: a verify makes ~3 lists per package, most of a few
   * paths, and 1,024 paths' room each (40 KB, zeroed) had cost a verify of
   * 100 one-file packages 50 ms of allocation and its collection.
   */
  private numbers = new Float64Array(STRIDE * 16);
  private readonly targets = new Map<number, string>();

  constructor(readonly prefix = '') {}

  get length(): number {
    return this.paths.length;
  }

  /** A whole expectation (`e.path` relative to the prefix). */
  add(e: PathExpect): void {
    if (e.target !== undefined) this.targets.set(this.paths.length, e.target);
    this.push(e.path, CODE[e.kind], e.size, e.digest, e.mode, e.uid, e.gid);
  }

  /** A regular file's expectation, without an object: an id that is null or undefined is not checked. */
  addFile(path: string, size: number, digest: string, mode: number, uid: number | null | undefined, gid: number | null | undefined): void {
    this.push(path, CODE.file, size, digest, mode, uid, gid);
  }

  private push(path: string, kind: number, size?: number, digest?: string, mode?: number, uid?: number | null, gid?: number | null): void {
    const o = this.paths.length * STRIDE;
    if (o + STRIDE > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const n = this.numbers;
    n[o + KIND] = kind;
    n[o + SIZE] = size ?? UNSET;
    n[o + MODE] = mode ?? UNSET;
    n[o + UID] = uid ?? UNSET;
    n[o + GID] = gid ?? UNSET;
    this.paths.push(path);
    this.digests.push(digest ?? '');
  }

  /** Entry `i`'s size, digest, mode and ids as added (undefined: not checked). */
  size(i: number): number | undefined {
    return this.number(i, SIZE);
  }

  digest(i: number): string | undefined {
    return this.digests[i] || undefined;
  }

  mode(i: number): number | undefined {
    return this.number(i, MODE);
  }

  uid(i: number): number | undefined {
    return this.number(i, UID);
  }

  gid(i: number): number | undefined {
    return this.number(i, GID);
  }

  private number(i: number, field: number): number | undefined {
    const x = this.numbers[i * STRIDE + field]!;
    return x === UNSET ? undefined : x;
  }

  /** Entries `from` to `to` (exclusive) as one batch to post (its `numbers` buffer may be transferred). */
  pack(from = 0, to = this.length): PackedExpects {
    const targets: [number, string][] = [];
    for (const [i, t] of this.targets) if (i >= from && i < to) targets.push([i - from, t]);
    const ended = (xs: string[]): string => (to > from ? `${xs.slice(from, to).join('\0')}\0` : '');
    return {
      prefix: this.prefix,
      count: to - from,
      paths: ended(this.paths),
      numbers: this.numbers.slice(from * STRIDE, to * STRIDE),
      digests: ended(this.digests),
      targets,
    };
  }
}

/** Splits a NUL-ended column into exactly `count` entries, or says the batch is malformed. */
function column(text: string, count: number, what: string): string[] {
  const out = count ? text.slice(0, -1).split('\0') : [];
  if (out.length !== count || (count > 0 && !text.endsWith('\0'))) throw new ZpkgError('E_INTERNAL', `a check batch's ${what} column holds ${out.length} entries, not ${count}`);
  return out;
}

/** The expectations of a packed batch, with host paths (prefix + path). */
export function unpackExpects(p: PackedExpects): PathExpect[] {
  const paths = column(p.paths, p.count, 'path');
  const digests = column(p.digests, p.count, 'digest');
  const targets = new Map(p.targets);
  const out: PathExpect[] = new Array(p.count);
  const n = p.numbers;
  if (n.length !== p.count * STRIDE) throw new ZpkgError('E_INTERNAL', `a check batch of ${p.count} paths holds ${n.length} numbers, not ${p.count * STRIDE}`);
  for (let i = 0, o = 0; i < p.count; i++, o += STRIDE) {
    const kind = KINDS[n[o + KIND]!];
    if (kind === undefined) throw new ZpkgError('E_INTERNAL', `a check batch's path ${i} is of no known kind (${n[o + KIND]})`);
    const e: PathExpect = { path: p.prefix + paths[i]!, kind };
    if (n[o + SIZE] !== UNSET) e.size = n[o + SIZE]!;
    if (digests[i]) e.digest = digests[i]!;
    if (n[o + MODE] !== UNSET) e.mode = n[o + MODE]!;
    if (n[o + UID] !== UNSET) e.uid = n[o + UID]!;
    if (n[o + GID] !== UNSET) e.gid = n[o + GID]!;
    const t = targets.get(i);
    if (t !== undefined) e.target = t;
    out[i] = e;
  }
  return out;
}
