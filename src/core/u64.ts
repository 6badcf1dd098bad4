/**
 * Unsigned 64-bit little-endian integers in buffers, as JavaScript numbers,
 * without a BigInt per value: the pack index and blob map of a 300,000-file
 * package hold about a million of them, and writing its pack index took a
 * second of the build's serial tail.
 */
const TWO_32 = 2 ** 32;
/** The high word of the first integer past Number.MAX_SAFE_INTEGER (2^53). */
const UNSAFE_HIGH = 2 ** 21;

/** Writes V, a safe non-negative integer, at AT; returns AT + 8. */
export function writeU64(buf: Buffer, v: number, at: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${v} is not an unsigned 64-bit value zpkg writes`);
  buf.writeUInt32LE(v % TWO_32, at);
  buf.writeUInt32LE(Math.floor(v / TWO_32), at + 4);
  return at + 8;
}

/** The value at AT; one past Number.MAX_SAFE_INTEGER reads as MAX_SAFE_INTEGER, which every size limit then refuses. */
export function readU64(buf: Buffer, at: number): number {
  const high = buf.readUInt32LE(at + 4);
  return high >= UNSAFE_HIGH ? Number.MAX_SAFE_INTEGER : high * TWO_32 + buf.readUInt32LE(at);
}
