/**
 * Name ids of a pool: one small integer per distinct name across the catalog
 * tables the pool reads, so relations compare names as integers. A name is
 * known by its bytes in a table's string table; no string is made to index
 * one.
 *
 * Over a single decoded catalog (its names sorted and unique, `names` > 0)
 * the ids are its names' string ids and a name is found by binary search.
 * Otherwise names are interned by their bytes, in the order first asked for:
 * each name's bytes are copied once into `arena`, the keys of a span map.
 */
import type { CatalogTable } from '../core/catalog-table.js';
import { ABSENT, SpanMap } from '../core/span-map.js';

const UNSEEN = -2;

function grown(a: Int32Array): Int32Array {
  const next = new Int32Array(2 * a.length);
  next.set(a);
  return next;
}

export class PoolNames {
  /** How many name ids there are. */
  count = 0;
  private readonly tables: CatalogTable[] = [];
  /** Per table: string id → name id; UNSEEN until asked, -1 for a name not known. */
  private readonly cache: Int32Array[] = [];
  /** The one table whose string ids are the name ids, if any. */
  private sorted: CatalogTable | undefined;
  private map: SpanMap | undefined;
  /** The bytes of the interned names, one after the other. */
  private arena: Buffer = Buffer.allocUnsafe(0);
  private arenaLength = 0;
  /** Name id n is string sid[n] of table table[n] (interned names). */
  private table: Int32Array = new Int32Array(1024);
  private sid: Int32Array = new Int32Array(1024);
  private scratch = Buffer.allocUnsafe(256);

  /** Adds a table; its names are known by (its index, string id). */
  addTable(t: CatalogTable): number {
    this.tables.push(t);
    this.cache.push(new Int32Array(t.strings.count).fill(UNSEEN));
    return this.tables.length - 1;
  }

  /**
   * Makes the sorted names of table `k`, the only table, the name ids — before
   * any is interned. The caller has checked that its rows name them in order,
   * so they are numbered as interning would in that order.
   */
  useSorted(k: number): void {
    const t = this.tables[k]!;
    if (this.tables.length !== 1 || this.count !== 0 || t.names === 0) throw new Error('solver: sorted names need one table and no name yet');
    this.sorted = t;
    this.count = t.names;
  }

  /** The name id of string `sid` of table `k`, made if new (while building). */
  intern(k: number, sid: number): number {
    const t = this.tables[k]!;
    if (t === this.sorted) return sid;
    const cache = this.cache[k]!;
    let nid = cache[sid]!;
    if (nid >= 0) return nid;
    const { bytes } = t.strings;
    const a = t.strings.start(sid);
    const b = t.strings.ends[sid]!;
    nid = this.find(bytes, a, b);
    if (nid < 0) {
      nid = this.count++;
      if (nid === this.table.length) {
        this.table = grown(this.table);
        this.sid = grown(this.sid);
      }
      this.table[nid] = k;
      this.sid[nid] = sid;
      const at = this.append(bytes, a, b);
      this.map!.set(at, this.arenaLength, nid);
    }
    cache[sid] = nid;
    return nid;
  }

  /** Copies src[a, b) to the end of the arena; returns where it starts. */
  private append(src: Uint8Array, a: number, b: number): number {
    const at = this.arenaLength;
    if (at + b - a > this.arena.length) {
      const next = Buffer.allocUnsafe(Math.max(at + b - a, 2 * this.arena.length));
      this.arena.copy(next, 0, 0, at);
      this.arena = next;
      this.map!.keys = next;
    }
    const arena = this.arena;
    for (let i = a; i < b; i++) arena[at + i - a] = src[i]!;
    this.arenaLength = at + b - a;
    return at;
  }

  /** The name id of string `sid` of table `k`, or -1 when the pool knows no such name. */
  of(k: number, sid: number): number {
    const t = this.tables[k]!;
    if (t === this.sorted) return sid < t.names ? sid : -1;
    const cache = this.cache[k]!;
    let nid = cache[sid]!;
    if (nid === UNSEEN) {
      nid = this.find(t.strings.bytes, t.strings.start(sid), t.strings.ends[sid]!);
      cache[sid] = nid;
    }
    return nid;
  }

  /** The name id of a name given as a string, or -1. */
  ofString(name: string): number {
    if (this.scratch.length < 3 * name.length) this.scratch = Buffer.allocUnsafe(3 * name.length + 64);
    const n = this.scratch.write(name, 0, 'utf8');
    return this.find(this.scratch, 0, n);
  }

  /** The name of id `nid`. */
  string(nid: number): string {
    if (this.sorted !== undefined) return this.sorted.strings.get(nid);
    return this.tables[this.table[nid]!]!.strings.get(this.sid[nid]!);
  }

  /**
   * The name id of the bytes buf[a, b), or -1. A miss leaves the map ready to
   * store the name (the span-map contract): intern stores it right after.
   */
  private find(buf: Uint8Array, a: number, b: number): number {
    if (this.sorted !== undefined) return search(this.sorted, buf, a, b);
    if (this.map === undefined) {
      const rows = this.tables.reduce((sum, t) => sum + t.rows, 0);
      this.arena = Buffer.allocUnsafe(Math.max(1024, 16 * rows));
      this.map = new SpanMap(this.arena, 2 * rows);
    }
    const nid = this.map.get(buf, a, b);
    return nid === ABSENT ? -1 : nid;
  }
}

/** Binary search of buf[a, b) among the sorted names of `t`: its string id, or -1. */
function search(t: CatalogTable, buf: Uint8Array, a: number, b: number): number {
  const { bytes, ends } = t.strings;
  let lo = 0;
  let hi = t.names - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const from = mid === 0 ? 0 : ends[mid - 1]!;
    const to = ends[mid]!;
    let c = 0;
    for (let k = 0, n = Math.min(to - from, b - a); k < n && c === 0; k++) c = bytes[from + k]! - buf[a + k]!;
    if (c === 0) c = to - from - (b - a);
    if (c === 0) return mid;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
