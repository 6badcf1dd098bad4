/**
 * Where files sit in the usual hierarchy, as the dependency generator reads it:
 * which directories hold shared libraries (a shared object there provides its
 * soname), which hold commands (a file or link there provides `file:/PATH`),
 * and which names are dynamic loaders (they provide `file:/PATH` wherever they are,
 * since PT_INTERP names them by path).
 */

/** `lib`, `lib64`, `usr/lib`, `usr/local/lib32`, and one multiarch level below (`usr/lib/x86_64-linux-gnu`). */
const LIB_DIR = /^(?:usr\/(?:local\/)?)?lib(?:32|64|x32)?(?:\/[a-z0-9_]+-linux-[a-z0-9_]+)?$/;
const BIN_DIR = /^(?:usr\/(?:local\/)?)?s?bin$/;
const LOADER = /^ld(?:-[A-Za-z0-9_.-]+)?\.so(?:\.[0-9]+)*$/;

export function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function baseOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function isLibDir(dir: string): boolean {
  return LIB_DIR.test(dir);
}

export function isBinDir(dir: string): boolean {
  return BIN_DIR.test(dir);
}

/** `lib64/ld-linux-x86-64.so.2`, `lib/ld-musl-x86_64.so.1`: an interpreter a PT_INTERP may name. */
export function isLoader(path: string): boolean {
  return isLibDir(dirOf(path)) && LOADER.test(baseOf(path));
}
