/**
 * What one file contributes to dependency generation: an ELF object's soname,
 * needed libraries, symbol versions and interpreter, or a script's `#!`
 * interpreter. Reads only the first bytes of files that are neither.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { knownFacts, lstatWalked } from '../file-digests.js';
import { isZpkgError } from '../../core/errors.js';
import { readElfFile, type ElfInfo } from '../elf/index.js';
import { HEAD, isElfHead, isScriptHead } from '../../fs/head.js';

export type Scanned =
  | { kind: 'elf'; elf: ElfInfo }
  | { kind: 'script'; interpreter: string }
  | { kind: 'other' }
  /** An ELF file the reader refused (truncated, corrupt): reported, never fatal to a build. */
  | { kind: 'bad-elf'; reason: string };

function head(path: string): Buffer {
  // A file a build already read (build/file-digests.ts) is not opened again.
  const known = knownFacts(path, lstatWalked(path));
  if (known) return known.head;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(HEAD);
    return b.subarray(0, readSync(fd, b, 0, HEAD, 0));
  } finally {
    closeSync(fd);
  }
}

/** `#!/usr/bin/env python3` → `/usr/bin/env`; `#! /bin/sh -e` → `/bin/sh`; undefined when no absolute path follows `#!`. */
export function shebangInterpreter(bytes: Buffer): string | undefined {
  if (bytes.length < 3 || !isScriptHead(bytes)) return undefined;
  const nl = bytes.indexOf(0x0a);
  const line = bytes.subarray(2, nl < 0 ? bytes.length : nl).toString('latin1').trim();
  const first = line.split(/[ \t]/)[0] ?? '';
  return /^\/[^\s|,()]*$/.test(first) && !first.includes('/../') ? first : undefined;
}

export function scanFile(path: string): Scanned {
  const bytes = head(path);
  if (isElfHead(bytes)) {
    try {
      const elf = readElfFile(path);
      return elf ? { kind: 'elf', elf } : { kind: 'other' };
    } catch (err) {
      if (isZpkgError(err)) return { kind: 'bad-elf', reason: err.message };
      throw err;
    }
  }
  const interpreter = shebangInterpreter(bytes);
  return interpreter ? { kind: 'script', interpreter } : { kind: 'other' };
}
