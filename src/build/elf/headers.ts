/**
 * The ELF header, the program header table and the section header table:
 * the map of the file that every other part of the reader navigates by.
 */
import { corrupt, Fields, type ByteSource } from './bytes.js';
import { ELF_MAGIC, type ElfClass, type ElfEndianness, PT_LOAD } from './types.js';

export interface ElfHeader {
  cls: ElfClass;
  endianness: ElfEndianness;
  type: number;
  machine: number;
}

export interface ProgramHeader {
  type: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export interface SectionHeader {
  type: number;
  offset: number;
  addr: number;
  size: number;
  link: number;
  info: number;
}

export interface ElfLayout {
  header: ElfHeader;
  segments: ProgramHeader[];
  sections: SectionHeader[];
}

const PN_XNUM = 0xffff;

/** The layout of an ELF file, or undefined when the bytes are not ELF at all. */
export function readLayout(src: ByteSource, name?: string): ElfLayout | undefined {
  if (src.size < 4 || !src.read(0, 4, 'ELF magic').equals(ELF_MAGIC)) return undefined;
  const ident = src.read(0, Math.min(16, src.size), 'ELF identification');
  if (ident.length < 16) throw corrupt('ELF identification ends early', name);
  const clsByte = ident[4];
  const dataByte = ident[5];
  if (clsByte !== 1 && clsByte !== 2) throw corrupt(`unknown ELF class ${String(clsByte)}`, name);
  if (dataByte !== 1 && dataByte !== 2) throw corrupt(`unknown ELF data encoding ${String(dataByte)}`, name);
  const cls: ElfClass = clsByte === 1 ? 32 : 64;
  const endianness: ElfEndianness = dataByte === 1 ? 'little' : 'big';

  const ehsize = cls === 64 ? 64 : 52;
  const eh = new Fields(src.read(0, ehsize, 'ELF header'), cls, endianness, 'ELF header', name);
  const at = cls === 64
    ? { phoff: 32, shoff: 40, phentsize: 54, phnum: 56, shentsize: 58, shnum: 60 }
    : { phoff: 28, shoff: 32, phentsize: 42, phnum: 44, shentsize: 46, shnum: 48 };
  const header: ElfHeader = { cls, endianness, type: eh.u16(16), machine: eh.u16(18) };
  const phoff = eh.word(at.phoff);
  const shoff = eh.word(at.shoff);
  let phnum = eh.u16(at.phnum);
  let shnum = eh.u16(at.shnum);

  let sections: SectionHeader[] = [];
  if (shoff !== 0) {
    const shentsize = eh.u16(at.shentsize);
    if (shentsize < (cls === 64 ? 64 : 40)) throw corrupt(`section header size ${shentsize} is too small`, name);
    const first = readSectionHeaders(src, header, shoff, shentsize, 1, name)[0];
    // Extended numbering: counts too large for 16 bits live in section 0.
    if (shnum === 0 && first !== undefined) shnum = first.size;
    if (phnum === PN_XNUM && first !== undefined) phnum = first.info;
    sections = readSectionHeaders(src, header, shoff, shentsize, shnum, name);
  }

  let segments: ProgramHeader[] = [];
  if (phoff !== 0 && phnum > 0) {
    const phentsize = eh.u16(at.phentsize);
    if (phentsize < (cls === 64 ? 56 : 32)) throw corrupt(`program header size ${phentsize} is too small`, name);
    segments = readProgramHeaders(src, header, phoff, phentsize, phnum, name);
  }
  return { header, segments, sections };
}

function readProgramHeaders(
  src: ByteSource, h: ElfHeader, off: number, entsize: number, count: number, name?: string,
): ProgramHeader[] {
  const table = src.read(off, entsize * count, 'program header table');
  const f = new Fields(table, h.cls, h.endianness, 'program header table', name);
  const out: ProgramHeader[] = [];
  for (let i = 0; i < count; i++) {
    const b = i * entsize;
    out.push(h.cls === 64
      ? { type: f.u32(b), offset: f.u64(b + 8), vaddr: f.u64(b + 16), filesz: f.u64(b + 32) }
      : { type: f.u32(b), offset: f.u32(b + 4), vaddr: f.u32(b + 8), filesz: f.u32(b + 16) });
  }
  return out;
}

function readSectionHeaders(
  src: ByteSource, h: ElfHeader, off: number, entsize: number, count: number, name?: string,
): SectionHeader[] {
  const table = src.read(off, entsize * count, 'section header table');
  const f = new Fields(table, h.cls, h.endianness, 'section header table', name);
  const out: SectionHeader[] = [];
  for (let i = 0; i < count; i++) {
    const b = i * entsize;
    out.push(h.cls === 64
      ? {
          type: f.u32(b + 4), addr: f.u64(b + 16), offset: f.u64(b + 24), size: f.u64(b + 32),
          link: f.u32(b + 40), info: f.u32(b + 44),
        }
      : {
          type: f.u32(b + 4), addr: f.u32(b + 12), offset: f.u32(b + 16), size: f.u32(b + 20),
          link: f.u32(b + 24), info: f.u32(b + 28),
        });
  }
  return out;
}

/** The file offset of a virtual address, through the PT_LOAD segments. */
export function offsetOfAddress(layout: ElfLayout, vaddr: number): number | undefined {
  for (const s of layout.segments) {
    if (s.type === PT_LOAD && vaddr >= s.vaddr && vaddr < s.vaddr + s.filesz) return s.offset + (vaddr - s.vaddr);
  }
  return undefined;
}
