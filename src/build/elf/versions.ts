/**
 * GNU symbol versioning: the versions a file needs from each library
 * (SHT_GNU_verneed, `.gnu.version_r`) and the versions it defines
 * (SHT_GNU_verdef, `.gnu.version_d`), as `readelf -V` prints them. The tables
 * are found through the section headers like readelf does; for files without
 * section headers, through DT_VERNEED/DT_VERNEEDNUM and DT_VERDEF/DT_VERDEFNUM.
 *
 * Both tables are chains of fixed 16/20-byte records linked by relative
 * offsets, the same in both classes; every step is range-checked and the walk
 * is bounded by the declared entry counts.
 */
import { corrupt, cString, Fields, type ByteSource } from './bytes.js';
import type { DynamicInfo } from './dynamic.js';
import { offsetOfAddress, type ElfLayout } from './headers.js';
import {
  DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM, SHT_GNU_VERDEF, SHT_GNU_VERNEED, SHT_NOBITS,
  VER_FLG_BASE, VER_FLG_WEAK, type ElfVersionDef, type ElfVersionNeed,
} from './types.js';

interface VersionTable {
  fields: Fields;
  count: number;
  strings: Buffer;
}

function locate(
  src: ByteSource, layout: ElfLayout, dyn: DynamicInfo | undefined,
  shType: number, tagAddr: number, tagNum: number, what: string, name?: string,
): VersionTable | undefined {
  const { cls, endianness } = layout.header;
  const sec = layout.sections.find((s) => s.type === shType);
  if (sec !== undefined) {
    const strSec = layout.sections[sec.link];
    if (strSec === undefined || strSec.type === SHT_NOBITS) throw corrupt(`${what} links to no string table`, name);
    return {
      fields: new Fields(src.read(sec.offset, sec.size, what), cls, endianness, what, name),
      count: sec.info,
      strings: src.read(strSec.offset, strSec.size, `${what} string table`),
    };
  }
  if (layout.sections.length > 0 || dyn === undefined) return undefined;
  const addr = dyn.entries.find((e) => e.tag === tagAddr)?.value;
  const count = dyn.entries.find((e) => e.tag === tagNum)?.value;
  if (addr === undefined || count === undefined) return undefined;
  const offset = offsetOfAddress(layout, addr);
  if (offset === undefined) throw corrupt(`${what} address 0x${addr.toString(16)} is in no loaded segment`, name);
  const bytes = src.read(offset, src.size - offset, what);
  return { fields: new Fields(bytes, cls, endianness, what, name), count, strings: dyn.strings };
}

export function readVersionNeeds(
  src: ByteSource, layout: ElfLayout, dyn: DynamicInfo | undefined, name?: string,
): ElfVersionNeed[] {
  const what = 'version needs section';
  const t = locate(src, layout, dyn, SHT_GNU_VERNEED, DT_VERNEED, DT_VERNEEDNUM, what, name);
  if (t === undefined) return [];
  const f = t.fields;
  const out: ElfVersionNeed[] = [];
  let at = 0;
  for (let i = 0; i < t.count; i++) {
    const cnt = f.u16(at + 2);
    const need: ElfVersionNeed = { file: cString(t.strings, f.u32(at + 4), what, name), versions: [], weak: [] };
    let aux = at + f.u32(at + 8);
    for (let j = 0; j < cnt; j++) {
      const flags = f.u16(aux + 4);
      const version = cString(t.strings, f.u32(aux + 8), what, name);
      need.versions.push(version);
      if ((flags & VER_FLG_WEAK) !== 0) need.weak.push(version);
      const next = f.u32(aux + 12);
      if (next === 0) break;
      aux += next;
    }
    out.push(need);
    const next = f.u32(at + 12);
    if (next === 0) break;
    at += next;
  }
  return out;
}

export function readVersionDefs(
  src: ByteSource, layout: ElfLayout, dyn: DynamicInfo | undefined, name?: string,
): ElfVersionDef[] {
  const what = 'version definition section';
  const t = locate(src, layout, dyn, SHT_GNU_VERDEF, DT_VERDEF, DT_VERDEFNUM, what, name);
  if (t === undefined) return [];
  const f = t.fields;
  const out: ElfVersionDef[] = [];
  let at = 0;
  for (let i = 0; i < t.count; i++) {
    const flags = f.u16(at + 2);
    const cnt = f.u16(at + 6);
    const names: string[] = [];
    let aux = at + f.u32(at + 12);
    for (let j = 0; j < cnt; j++) {
      names.push(cString(t.strings, f.u32(aux), what, name));
      const next = f.u32(aux + 4);
      if (next === 0) break;
      aux += next;
    }
    const [first, ...parents] = names;
    if (first === undefined) throw corrupt(`${what}: a definition has no name`, name);
    out.push({ name: first, base: (flags & VER_FLG_BASE) !== 0, parents });
    const next = f.u32(at + 16);
    if (next === 0) break;
    at += next;
  }
  return out;
}
