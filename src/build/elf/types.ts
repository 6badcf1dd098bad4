/**
 * What the ELF reader reports, and the numbers of the ELF specification it
 * needs (gABI, plus the GNU symbol-versioning extension). Only the facts the
 * builder turns into relations: class, machine, interpreter, the dynamic
 * section's library names and search paths, and the symbol versions a file
 * needs and defines.
 */

export type ElfClass = 32 | 64;
export type ElfEndianness = 'little' | 'big';
export type ElfType = 'NONE' | 'REL' | 'EXEC' | 'DYN' | 'CORE' | 'UNKNOWN';

/** One `Verneed` entry: the versions this file needs from one library. */
export interface ElfVersionNeed {
  /** The library, as its DT_NEEDED name: `libc.so.6`. */
  file: string;
  /** Version names in section order: `['GLIBC_2.34', 'GLIBC_2.2.5']`. */
  versions: string[];
  /** The subset of `versions` flagged VER_FLG_WEAK (usable when absent). */
  weak: string[];
}

/** One `Verdef` entry: a version this file defines. */
export interface ElfVersionDef {
  /** `GLIBC_2.2.5`; for the base definition, the file's own soname. */
  name: string;
  /** VER_FLG_BASE: the definition naming the file itself, not a real version. */
  base: boolean;
  /** Names this version inherits from (`Parent` lines of `readelf -V`). */
  parents: string[];
}

export interface ElfInfo {
  class: ElfClass;
  endianness: ElfEndianness;
  /** e_machine, and a name for the common ones (`x86-64`, `aarch64`, …). */
  machine: number;
  machineName: string | undefined;
  type: ElfType;
  /** PT_INTERP: `/lib64/ld-linux-x86-64.so.2`. */
  interpreter: string | undefined;
  /** DT_NEEDED, in order. */
  needed: string[];
  soname: string | undefined;
  runpath: string | undefined;
  rpath: string | undefined;
  /** `.gnu.version_r` (SHT_GNU_verneed). */
  versionNeeds: ElfVersionNeed[];
  /** `.gnu.version_d` (SHT_GNU_verdef), the base definition included. */
  versionDefs: ElfVersionDef[];
}

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

export const ET_NAMES: Record<number, ElfType> = { 0: 'NONE', 1: 'REL', 2: 'EXEC', 3: 'DYN', 4: 'CORE' };

export const MACHINE_NAMES: Record<number, string> = {
  3: 'i386',
  8: 'mips',
  20: 'ppc',
  21: 'ppc64',
  22: 's390',
  40: 'arm',
  43: 'sparcv9',
  62: 'x86-64',
  183: 'aarch64',
  243: 'riscv',
  258: 'loongarch',
};

// Program header types.
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;

// Section header types.
export const SHT_DYNAMIC = 6;
export const SHT_NOBITS = 8;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERNEED = 0x6ffffffe;

// Dynamic tags.
export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_VERDEF = 0x6ffffffc;
export const DT_VERDEFNUM = 0x6ffffffd;
export const DT_VERNEED = 0x6ffffffe;
export const DT_VERNEEDNUM = 0x6fffffff;

// Version flags.
export const VER_FLG_BASE = 0x1;
export const VER_FLG_WEAK = 0x2;
