/**
 * A map from spans of an array to int values: open addressing over one
 * Int32Array, linear probing, one hash (hashSpan). It is the one hash table
 * of the readers and writers of large catalogs — the catalog builder's
 * interning of strings (bytes), atoms (triples of ints) and clauses (lists of
 * atom ids), the Debian importer's memo of relation clauses by their bytes,
 * and the pool's name ids — so that none of them makes a string or an object
 * to find a key.
 *
 * Keys are not copied: an entry records where its key lies in `keys`, the
 * array its owner keeps them in (the builder's bytes, the index being read),
 * and a lookup compares the span it is given with that one. An owner whose
 * key array is reallocated as it grows assigns the new one to `keys`: the
 * offsets stay valid.
 *
 * Contract of a lookup that misses: `get` remembers the hash and the empty
 * slot it stopped on; to store that key, the owner puts its elements into
 * `keys` and calls `set` before any other `get`.
 */

/** What `get` answers for a key the map does not hold; no value may be it. */
export const ABSENT = -1;

/** Arrays a key may be a span of. */
export type SpanKeys = Uint8Array | Int32Array;

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

/**
 * FNV-1a over the 32-bit words of src[a, b): bytes four to a word, ints one
 * each. Equal spans hash equally, whatever array holds them.
 */
export function hashSpan(src: SpanKeys, a: number, b: number): number {
  return src.BYTES_PER_ELEMENT === 1 ? hashBytes(src as Uint8Array, a, b) : hashInts(src as Int32Array, a, b);
}

function hashBytes(src: Uint8Array, a: number, b: number): number {
  let h = 0x811c9dc5 ^ (b - a);
  let i = a;
  for (const end = b - 3; i < end; i += 4) h = mix(h, src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24));
  for (; i < b; i++) h = mix(h, src[i]!);
  return h ^ (h >>> 15);
}

function hashInts(src: Int32Array, a: number, b: number): number {
  let h = 0x811c9dc5 ^ (b - a);
  for (let i = a; i < b; i++) h = mix(h, src[i]!);
  return h ^ (h >>> 15);
}

/** Whether x[a, a + length) and y[b, b + length) hold the same elements. */
export function sameSpan(x: SpanKeys, a: number, y: SpanKeys, b: number, length: number): boolean {
  return x.BYTES_PER_ELEMENT === 1 ? sameBytes(x as Uint8Array, a, y as Uint8Array, b, length) : sameInts(x as Int32Array, a, y as Int32Array, b, length);
}

function sameBytes(x: Uint8Array, a: number, y: Uint8Array, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (x[a + k] !== y[b + k]) return false;
  return true;
}

function sameInts(x: Int32Array, a: number, y: Int32Array, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (x[a + k] !== y[b + k]) return false;
  return true;
}

/** Four ints a slot: hash, key start, key length + 1 (0: the slot is empty), value. */
const SLOT = 4;

export class SpanMap<K extends SpanKeys> {
  /** How many keys the map holds. */
  size = 0;
  private slots: Int32Array;
  private mask: number;
  /** Where the last missed `get` stopped, and the hash it computed. */
  private free = -1;
  private hash = 0;

  /** `expected`: how many keys to make room for before the first growth. */
  constructor(
    public keys: K,
    expected = 1024,
  ) {
    let n = 64;
    while (n < 2 * expected) n *= 2;
    this.slots = new Int32Array(SLOT * n);
    this.mask = n - 1;
  }

  /** The value of the key equal to src[a, b), or ABSENT (then `set` may store it). */
  get(src: K, a: number, b: number): number {
    const h = hashSpan(src, a, b);
    const slots = this.slots;
    const keys = this.keys;
    const length = b - a;
    let i = h & this.mask;
    for (;;) {
      const at = SLOT * i;
      const stored = slots[at + 2]!;
      if (stored === 0) break;
      if (slots[at] === h && stored === length + 1 && sameSpan(keys, slots[at + 1]!, src, a, length)) return slots[at + 3]!;
      i = (i + 1) & this.mask;
    }
    this.free = i;
    this.hash = h;
    return ABSENT;
  }

  /** Stores `value` for the key keys[start, end), which the last `get` missed. */
  set(start: number, end: number, value: number): void {
    if (this.free < 0) throw new Error('span-map: set without a missed get');
    const at = SLOT * this.free;
    const slots = this.slots;
    slots[at] = this.hash;
    slots[at + 1] = start;
    slots[at + 2] = end - start + 1;
    slots[at + 3] = value;
    this.free = -1;
    if (++this.size * 2 > this.mask) this.grow();
  }

  /** The value of src[a, b), stored as `value` (a span of `keys` equal to it: start, end) if absent. */
  intern(src: K, a: number, b: number, start: number, end: number, value: number): number {
    const v = this.get(src, a, b);
    if (v !== ABSENT) return v;
    this.set(start, end, value);
    return value;
  }

  /** Twice the slots, every entry moved by its stored hash (keys are not read). */
  private grow(): void {
    const old = this.slots;
    const n = 2 * (this.mask + 1);
    const slots = new Int32Array(SLOT * n);
    const mask = n - 1;
    for (let j = 0; j < old.length; j += SLOT) {
      if (old[j + 2] === 0) continue;
      let i = old[j]! & mask;
      while (slots[SLOT * i + 2] !== 0) i = (i + 1) & mask;
      const at = SLOT * i;
      slots[at] = old[j]!;
      slots[at + 1] = old[j + 1]!;
      slots[at + 2] = old[j + 2]!;
      slots[at + 3] = old[j + 3]!;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
