/**
 * The twelve fields of a stanza a catalog entry is made of, as slots, and
 * how a reader of bytes finds a field's slot from its name without making a
 * string (slotOf).
 */

export const F_PACKAGE = 0;
export const F_VERSION = 1;
export const F_ARCH = 2;
export const F_DESCRIPTION = 3;
export const F_PRE_DEPENDS = 4;
export const F_DEPENDS = 5;
export const F_CONFLICTS = 6;
export const F_BREAKS = 7;
export const F_PROVIDES = 8;
export const F_REPLACES = 9;
export const F_SIZE = 10;
export const F_INSTALLED_SIZE = 11;
export const SLOT_COUNT = 12;

/** Canonical spelling of each slot's field, as Debian writes it. */
export const SLOT_FIELDS = [
  'Package',
  'Version',
  'Architecture',
  'Description',
  'Pre-Depends',
  'Depends',
  'Conflicts',
  'Breaks',
  'Provides',
  'Replaces',
  'Size',
  'Installed-Size',
] as const;

/** Lower-cased field names, for readers of text (stanzas.ts lower-cases every name). */
export const SLOT_LOWER: readonly string[] = SLOT_FIELDS.map((f) => f.toLowerCase());
const SLOT_BY_LOWER = new Map<string, number>(SLOT_LOWER.map((f, i) => [f, i]));

/**
 * The slot of a field name by its length and first letter (in any case):
 * those two tell the twelve apart, so an array indexed by them finds the one
 * candidate without hashing; its last letter and then its bytes confirm it.
 */
const MAX_LENGTH = 15;
const shape = (length: number, first: number): number => (length << 5) | (first & 31);
const BY_SHAPE = new Int8Array(shape(MAX_LENGTH, 31) + 1).fill(-1);
for (let slot = 0; slot < SLOT_COUNT; slot++) {
  const f = SLOT_FIELDS[slot]!;
  const k = shape(f.length, f.charCodeAt(0));
  if (f.length > MAX_LENGTH || BY_SHAPE[k] !== -1) throw new Error('debian fields: two entry fields share a length and first letter');
  BY_SHAPE[k] = slot;
}

/** Field names as bytes, to compare in place. */
const SLOT_BYTES = SLOT_FIELDS.map((f) => Buffer.from(f, 'latin1'));

/** The slot of the field named buf[pos, colon), -1 if an entry does not use it. */
export function slotOf(buf: Buffer, pos: number, colon: number): number {
  const length = colon - pos;
  if (length > MAX_LENGTH) return -1;
  const slot = BY_SHAPE[shape(length, buf[pos]!)]!;
  if (slot < 0) return -1;
  const want = SLOT_BYTES[slot]!;
  if ((buf[colon - 1]! | 0x20) !== (want[length - 1]! | 0x20)) return -1;
  let same = true;
  for (let k = 0; k < length; k++) {
    if (buf[pos + k] !== want[k]) {
      same = false;
      break;
    }
  }
  if (same) return slot; // as Debian writes it
  return SLOT_BY_LOWER.get(buf.toString('latin1', pos, colon).toLowerCase()) ?? -1;
}
