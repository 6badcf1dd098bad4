/**
 * The twelve fields of a stanza a catalog entry is made of, as slots, and
 * how a reader of bytes finds a field's slot from its name without making a
 * string: a fingerprint of the name (the same in any letter case) looked up
 * in a span map, then the bytes compared with Debian's spelling.
 */
import { ABSENT, SpanMap } from '../../core/span-map.js';

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
 * A cheap fingerprint of a field name, the same in any letter case: its
 * length and its first and last characters, folded to lower case. A name
 * whose fingerprint no entry field has is skipped without comparing bytes.
 */
function fingerprint(length: number, first: number, last: number): number {
  return (length << 16) | ((first | 0x20) << 8) | (last | 0x20);
}

/** Fingerprint k of FINGERPRINTS is slot k's; the map finds a fingerprint's slot. */
const FINGERPRINTS = Int32Array.from(SLOT_FIELDS, (f) => fingerprint(f.length, f.charCodeAt(0), f.charCodeAt(f.length - 1)));
const BY_FINGERPRINT = new SpanMap(FINGERPRINTS, SLOT_COUNT);
for (let slot = 0; slot < SLOT_COUNT; slot++) {
  if (BY_FINGERPRINT.get(FINGERPRINTS, slot, slot + 1) !== ABSENT) throw new Error('debian fields: entry fields share a fingerprint');
  BY_FINGERPRINT.set(slot, slot + 1, slot);
}
const query = new Int32Array(1);

/** Field names as bytes, to compare in place. */
const SLOT_BYTES = SLOT_FIELDS.map((f) => Buffer.from(f, 'latin1'));

/** The slot of the field named buf[pos, colon), -1 if an entry does not use it. */
export function slotOf(buf: Buffer, pos: number, colon: number): number {
  query[0] = fingerprint(colon - pos, buf[pos]!, buf[colon - 1]!);
  const slot = BY_FINGERPRINT.get(query, 0, 1);
  if (slot === ABSENT) return -1;
  const want = SLOT_BYTES[slot]!;
  if (want.length === colon - pos) {
    let same = true;
    for (let k = 0; k < want.length; k++) {
      if (buf[pos + k] !== want[k]) {
        same = false;
        break;
      }
    }
    if (same) return slot; // as Debian writes it
  }
  return SLOT_BY_LOWER.get(buf.toString('latin1', pos, colon).toLowerCase()) ?? -1;
}
