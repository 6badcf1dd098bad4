/**
 * Open-addressing tables of (hash, id + 1) pairs in one Int32Array, probed
 * linearly; 0 in the id slot marks an empty pair. Shared by the interning
 * tables of the catalog builder and the Debian importers.
 */

/** A table twice as large holding the same pairs; its mask is `(length >> 1) - 1`. */
export function rehashSlots(old: Int32Array): Int32Array<ArrayBuffer> {
  const table = new Int32Array(old.length * 2);
  const mask = (table.length >> 1) - 1;
  for (let j = 0; j < old.length; j += 2) {
    const id = old[j + 1]!;
    if (id === 0) continue;
    let i = old[j]! & mask;
    while (table[2 * i + 1] !== 0) i = (i + 1) & mask;
    table[2 * i] = old[j]!;
    table[2 * i + 1] = id;
  }
  return table;
}

/** Whether buf[x, x + length) and buf[y, y + length) hold the same bytes. */
export function sameBytes(buf: Uint8Array, x: number, y: number, length: number): boolean {
  for (let k = 0; k < length; k++) if (buf[x + k] !== buf[y + k]) return false;
  return true;
}
