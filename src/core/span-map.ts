/**
 * A map from byte spans to int values: open addressing over one Int32Array,
 * linear probing, one hash (hashSpan). It is the one hash table of the
 * readers and writers of large catalogs — the catalog builder's interning of
 * strings, atoms and clauses, the Debian importer's memo of relation clauses
 * by their bytes, the field names it looks for, and the pool's name ids — so
 * that none of them makes a string or an object to find a key. Keys that are
 * ints (an atom's name, operator and version ids; a clause's atom ids) are
 * the bytes of an Int32Array, seen through a Uint8Array over its buffer
 * (`bytesOf`): one kind of key keeps every lookup monomorphic.
 *
 * Keys are not copied: an entry records where its key lies in `keys`, the
 * bytes its owner keeps them in (the builder's string bytes, the index being
 * read), and a lookup compares the span it is given with that one. An owner
 * whose key array is reallocated as it grows assigns the new one to `keys`:
 * the offsets stay valid.
 *
 * Contract of a lookup that misses: `get` remembers the hash and the empty
 * slot it stopped on; to store that key, the owner puts its bytes into
 * `keys` and calls `set` before any other `get`.
 */

/** What `get` answers for a key the map does not hold; no value may be it. */
export const ABSENT = -1;

/**
 * The bytes of an int array (the same memory, native byte order), as a
 * Buffer: the other keys are Buffers too, and one class of array keeps the
 * element loads of a lookup monomorphic.
 */
export function bytesOf(ints: Int32Array): Buffer {
  return Buffer.from(ints.buffer, ints.byteOffset, ints.byteLength);
}

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

/**
 * FNV-1a over the bytes of src[a, b), four bytes to a word, high bits folded
 * into the low ones a slot is chosen by. Not a full avalanche on purpose:
 * keys that differ only at their end (names of one family, versions of one
 * package) land near each other, which the cache rewards more than a perfect
 * spread (measured on the pool's names: a MurmurHash3 finalizer cost a third more).
 */
export function hashSpan(src: Uint8Array, a: number, b: number): number {
  let h = 0x811c9dc5 ^ (b - a);
  let i = a;
  for (const end = b - 3; i < end; i += 4) h = mix(h, src[i]! | (src[i + 1]! << 8) | (src[i + 2]! << 16) | (src[i + 3]! << 24));
  for (; i < b; i++) h = mix(h, src[i]!);
  return h ^ (h >>> 15);
}

/** Whether x[a, a + length) and y[b, b + length) hold the same bytes. */
export function sameSpan(x: Uint8Array, a: number, y: Uint8Array, b: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (x[a + k] !== y[b + k]) return false;
  return true;
}

/**
 * Two ints a slot: the key's hash and its entry number + 1 (0: empty); three
 * an entry, in insertion order: key start, key end, value. Slots are what a
 * probe touches at random, so they are kept small (half the cache misses of
 * slots holding the whole entry, measured on the pool's names).
 */
export class SpanMap {
  /** How many keys the map holds. */
  size = 0;
  private slots: Int32Array;
  private mask: number;
  private entries: Int32Array;
  /** Where the last missed `get` stopped, and the hash it computed. */
  private free = -1;
  private hash = 0;

  /** `expected`: how many keys to make room for before the first growth. */
  constructor(
    public keys: Uint8Array,
    expected = 1024,
  ) {
    let n = 64;
    while (n < 2 * expected) n *= 2;
    this.slots = new Int32Array(2 * n);
    this.mask = n - 1;
    this.entries = new Int32Array(3 * Math.max(16, expected));
  }

  /** The value of the key equal to src[a, b), or ABSENT (then `set` may store it). */
  get(src: Uint8Array, a: number, b: number): number {
    const h = hashSpan(src, a, b);
    const slots = this.slots;
    const entries = this.entries;
    const keys = this.keys;
    const length = b - a;
    let i = h & this.mask;
    for (;;) {
      const e = slots[2 * i + 1]!;
      if (e === 0) break;
      if (slots[2 * i] === h) {
        const at = 3 * (e - 1);
        const start = entries[at]!;
        if (entries[at + 1]! - start === length && sameSpan(keys, start, src, a, length)) return entries[at + 2]!;
      }
      i = (i + 1) & this.mask;
    }
    this.free = i;
    this.hash = h;
    return ABSENT;
  }

  /** Stores `value` for the key keys[start, end), which the last `get` missed. */
  set(start: number, end: number, value: number): void {
    if (this.free < 0) throw new Error('span-map: set without a missed get');
    const e = this.size;
    if (3 * e + 3 > this.entries.length) {
      const grown = new Int32Array(2 * this.entries.length);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[3 * e] = start;
    this.entries[3 * e + 1] = end;
    this.entries[3 * e + 2] = value;
    this.slots[2 * this.free] = this.hash;
    this.slots[2 * this.free + 1] = e + 1;
    this.free = -1;
    if (++this.size * 2 > this.mask) this.grow();
  }

  /** Twice the slots, every entry placed again by its stored hash (keys are not read). */
  private grow(): void {
    const old = this.slots;
    const n = 2 * (this.mask + 1);
    const slots = new Int32Array(2 * n);
    const mask = n - 1;
    for (let j = 0; j < old.length; j += 2) {
      const e = old[j + 1]!;
      if (e === 0) continue;
      let i = old[j]! & mask;
      while (slots[2 * i + 1] !== 0) i = (i + 1) & mask;
      slots[2 * i] = old[j]!;
      slots[2 * i + 1] = e;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
