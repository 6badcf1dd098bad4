/**
 * The dynamic section: DT_NEEDED, DT_SONAME, DT_RUNPATH and DT_RPATH, with
 * their strings from the dynamic string table. Like `readelf -d`, the table
 * is found through the PT_DYNAMIC segment (the section header is the fallback
 * for files without program headers); the strings come from the section the
 * `.dynamic` section links to, or else from DT_STRTAB/DT_STRSZ mapped through
 * the PT_LOAD segments (files whose section headers were stripped).
 */
import { corrupt, cString, Fields, type ByteSource } from './bytes.js';
import { offsetOfAddress, type ElfLayout } from './headers.js';
import {
  DT_NEEDED, DT_NULL, DT_RPATH, DT_RUNPATH, DT_SONAME, DT_STRSZ, DT_STRTAB, PT_DYNAMIC, SHT_DYNAMIC, SHT_NOBITS,
} from './types.js';

export interface DynamicEntry {
  tag: number;
  value: number;
}

export interface DynamicInfo {
  entries: DynamicEntry[];
  /** The dynamic string table (empty when the file has none). */
  strings: Buffer;
  needed: string[];
  soname: string | undefined;
  runpath: string | undefined;
  rpath: string | undefined;
}

export function readDynamic(src: ByteSource, layout: ElfLayout, name?: string): DynamicInfo | undefined {
  const table = dynamicTable(src, layout);
  if (table === undefined) return undefined;
  const { cls, endianness } = layout.header;
  const f = new Fields(table, cls, endianness, 'dynamic section', name);
  const size = cls === 64 ? 16 : 8;
  const entries: DynamicEntry[] = [];
  for (let at = 0; at + size <= table.length; at += size) {
    const tag = f.word(at);
    if (tag === DT_NULL) break;
    entries.push({ tag, value: f.word(at + size / 2) });
  }

  const strings = dynamicStrings(src, layout, entries, name);
  const str = (value: number, what: string): string => cString(strings, value, what, name);
  const info: DynamicInfo = { entries, strings, needed: [], soname: undefined, runpath: undefined, rpath: undefined };
  for (const e of entries) {
    if (e.tag === DT_NEEDED) info.needed.push(str(e.value, 'DT_NEEDED'));
    else if (e.tag === DT_SONAME) info.soname ??= str(e.value, 'DT_SONAME');
    else if (e.tag === DT_RUNPATH) info.runpath ??= str(e.value, 'DT_RUNPATH');
    else if (e.tag === DT_RPATH) info.rpath ??= str(e.value, 'DT_RPATH');
  }
  return info;
}

function dynamicTable(src: ByteSource, layout: ElfLayout): Buffer | undefined {
  const seg = layout.segments.find((s) => s.type === PT_DYNAMIC);
  // filesz 0: a debug-info file, whose segments have no bytes (readelf: no dynamic section).
  if (seg !== undefined) return seg.filesz === 0 ? undefined : src.read(seg.offset, seg.filesz, 'dynamic segment');
  const sec = layout.sections.find((s) => s.type === SHT_DYNAMIC);
  if (sec !== undefined) return src.read(sec.offset, sec.size, 'dynamic section');
  return undefined;
}

function dynamicStrings(src: ByteSource, layout: ElfLayout, entries: DynamicEntry[], name?: string): Buffer {
  const sec = layout.sections.find((s) => s.type === SHT_DYNAMIC);
  const linked = sec === undefined ? undefined : layout.sections[sec.link];
  if (linked !== undefined && sec !== undefined && sec.link !== 0 && linked.type !== SHT_NOBITS) {
    return src.read(linked.offset, linked.size, 'dynamic string table');
  }
  const addr = entries.find((e) => e.tag === DT_STRTAB)?.value;
  if (addr === undefined) {
    if (entries.some((e) => [DT_NEEDED, DT_SONAME, DT_RUNPATH, DT_RPATH].includes(e.tag))) {
      throw corrupt('dynamic section names strings but has no string table', name);
    }
    return Buffer.alloc(0);
  }
  const offset = offsetOfAddress(layout, addr);
  if (offset === undefined) throw corrupt(`DT_STRTAB address 0x${addr.toString(16)} is in no loaded segment`, name);
  const declared = entries.find((e) => e.tag === DT_STRSZ)?.value;
  const size = Math.min(declared ?? src.size - offset, src.size - offset);
  return src.read(offset, size, 'dynamic string table');
}
