/** Byte values the index and catalog scanners compare against, and the white space they trim. */
export const TAB = 9;
export const LF = 10;
export const CR = 13;
export const SPACE = 32;
export const HASH = 35;
export const COMMA = 44;
export const COLON = 58;
export const PIPE = 124;

export function isSpaceByte(c: number): boolean {
  return c === SPACE || c === TAB || c === LF || c === CR;
}
