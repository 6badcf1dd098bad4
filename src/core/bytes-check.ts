/**
 * Validity checks of names, versions and digests on UTF-8 bytes, for readers
 * of large catalogs and indexes that must not make a string per value to
 * check it. Each answers `true` only for what the string check accepts
 * (isPackageName, isRelationName, parseVersion, isDigest); a `false` may be
 * conservative (anything non-ASCII, `so:` and `file:` capabilities), so a
 * caller asks the string check for the final answer and its message.
 */

function isLowerOrDigit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** `[a-z0-9][a-z0-9+.-]*` over buf[a, b). */
export function isPackageNameBytes(buf: Uint8Array, a: number, b: number): boolean {
  if (a >= b || !isLowerOrDigit(buf[a]!)) return false;
  for (let i = a + 1; i < b; i++) {
    const c = buf[i]!;
    if (!isLowerOrDigit(c) && c !== 43 && c !== 46 && c !== 45) return false;
  }
  return true;
}

/** A package name, or one qualified by an architecture (`gcc:i386`); capabilities answer false. */
export function isRelationNameBytes(buf: Uint8Array, a: number, b: number): boolean {
  let colon = -1;
  for (let i = a; i < b; i++) {
    if (buf[i] === 58) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return isPackageNameBytes(buf, a, b);
  if (!isPackageNameBytes(buf, a, colon) || colon + 1 >= b) return false;
  for (let i = colon + 1; i < b; i++) {
    const c = buf[i]!;
    if (!isLowerOrDigit(c) && c !== 45) return false;
  }
  return true;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** parseVersion's rules (dpkg's) over ASCII bytes buf[a, b). */
export function isVersionBytes(buf: Uint8Array, a: number, b: number): boolean {
  if (a >= b) return false;
  let colon = -1;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    if (c >= 128 || c === 32 || (c >= 9 && c <= 13)) return false;
    if (c === 58 && colon < 0) colon = i;
  }
  let from = a;
  if (colon >= 0) {
    if (colon === a) return false;
    let epoch = 0;
    for (let i = a; i < colon; i++) {
      const c = buf[i]!;
      if (c < 48 || c > 57) return false;
      epoch = epoch * 10 + (c - 48);
      if (epoch > 2147483647) return false;
    }
    from = colon + 1;
    if (from >= b) return false;
  }
  let hyphen = -1;
  for (let i = b - 1; i >= from; i--) {
    if (buf[i] === 45) {
      hyphen = i;
      break;
    }
  }
  const upEnd = hyphen >= 0 ? hyphen : b;
  if (hyphen >= 0 && hyphen + 1 >= b) return false;
  if (upEnd <= from) return false;
  const first = buf[from]!;
  if (first < 48 || first > 57) return false;
  for (let i = from; i < upEnd; i++) {
    const c = buf[i]!;
    if (!isAlnum(c) && c !== 46 && c !== 43 && c !== 126 && c !== 58 && c !== 45) return false;
  }
  if (hyphen >= 0) {
    for (let i = hyphen + 1; i < b; i++) {
      const c = buf[i]!;
      if (!isAlnum(c) && c !== 46 && c !== 43 && c !== 126) return false;
    }
  }
  return true;
}

const SHA256_PREFIX = [115, 104, 97, 50, 53, 54, 58]; // "sha256:"

/** `sha256:` and 64 lower-case hex digits. */
export function isDigestBytes(buf: Uint8Array, a: number, b: number): boolean {
  if (b - a !== 71) return false;
  for (let k = 0; k < 7; k++) if (buf[a + k] !== SHA256_PREFIX[k]) return false;
  for (let i = a + 7; i < b; i++) {
    const c = buf[i]!;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
