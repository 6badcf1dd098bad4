/**
 * zpkg's ELF reader: what the builder needs to derive `so:` relations from
 * binaries (class, machine, interpreter, DT_NEEDED/SONAME/RUNPATH/RPATH and
 * the GNU symbol versions needed and defined). Node has no ELF reader, and the
 * npm ones (`elfy`, `elf-tools`) do not read the version sections.
 *
 * `readElf(bytes)` parses a whole file in memory; `readElfFile(path)` reads
 * only the headers and the few sections it needs. Both return undefined for a
 * file that is not ELF and throw ZpkgError E_IO for a truncated or corrupt one.
 */
import { bufferSource, cString, fileSource, type ByteSource } from './bytes.js';
import { readDynamic } from './dynamic.js';
import { readLayout } from './headers.js';
import { ET_NAMES, MACHINE_NAMES, PT_INTERP, type ElfInfo } from './types.js';
import { readVersionDefs, readVersionNeeds } from './versions.js';

export type { ElfClass, ElfEndianness, ElfInfo, ElfType, ElfVersionDef, ElfVersionNeed } from './types.js';

export function readElf(bytes: Buffer, name?: string): ElfInfo | undefined {
  return readElfFrom(bufferSource(bytes, name), name);
}

/** Synchronous; reads the headers and the needed sections, not the whole file. */
export function readElfFile(path: string): ElfInfo | undefined {
  const src = fileSource(path);
  try {
    return readElfFrom(src, path);
  } finally {
    src.close();
  }
}

export function readElfFrom(src: ByteSource, name?: string): ElfInfo | undefined {
  const layout = readLayout(src, name);
  if (layout === undefined) return undefined;
  const { header } = layout;
  const interp = layout.segments.find((s) => s.type === PT_INTERP);
  let interpreter: string | undefined;
  // A debug-info file (objcopy --only-keep-debug) keeps the program headers
  // but not the segments' bytes: filesz 0 means there is nothing to read.
  if (interp !== undefined && interp.filesz > 0) {
    const bytes = src.read(interp.offset, interp.filesz, 'PT_INTERP segment');
    // Like readelf, a missing terminator just ends the string at the segment's end.
    interpreter = cString(Buffer.concat([bytes, Buffer.alloc(1)]), 0, 'PT_INTERP', name);
  }
  const dyn = readDynamic(src, layout, name);
  return {
    class: header.cls,
    endianness: header.endianness,
    machine: header.machine,
    machineName: MACHINE_NAMES[header.machine],
    type: ET_NAMES[header.type] ?? 'UNKNOWN',
    interpreter,
    needed: dyn?.needed ?? [],
    soname: dyn?.soname,
    runpath: dyn?.runpath,
    rpath: dyn?.rpath,
    versionNeeds: readVersionNeeds(src, layout, dyn, name),
    versionDefs: readVersionDefs(src, layout, dyn, name),
  };
}
