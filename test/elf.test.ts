/**
 * The ELF reader against the oracle, GNU readelf.
 *
 * Corpus: every regular ELF file (symlinks skipped, so each file counts once)
 * in /usr/bin, /usr/sbin and /usr/lib/x86_64-linux-gnu/*.so*, in sorted
 * order. readelf runs as `readelf -W -l -d -V FILE...` over batches of files,
 * several batches at once; its output is split on the `File: ` headers it
 * prints for several files and parsed for the interpreter, NEEDED, SONAME,
 * RUNPATH, RPATH, the version needs and the version definitions. One
 * difference fails the test, which prints the first ones.
 *
 * This machine holds only 64-bit little-endian files, so synthetic ELF files
 * of all four class/endianness combinations are built here and checked
 * against readelf too. Truncated and corrupted files must give ZpkgError E_IO.
 */
import { execFile } from 'node:child_process';
import { lstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { isZpkgError } from '../src/core/errors.js';
import { readElf, readElfFile, type ElfInfo } from '../src/build/elf/index.js';
import { prng } from './helpers/prng.js';

const run = promisify(execFile);
const READELF = '/usr/bin/readelf';
const MIN_FILES = 200;
const BATCH = 40;

/** The fields readelf shows, in the reader's shape. */
type Seen = Pick<ElfInfo, 'interpreter' | 'needed' | 'soname' | 'runpath' | 'rpath' | 'versionNeeds' | 'versionDefs'>;

function seen(info: ElfInfo): Seen {
  const { interpreter, needed, soname, runpath, rpath, versionNeeds, versionDefs } = info;
  return { interpreter, needed, soname, runpath, rpath, versionNeeds, versionDefs };
}

function isElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46]));
  } finally {
    closeSync(fd);
  }
}

function corpus(): string[] {
  const out: string[] = [];
  const dirs: Array<[string, (n: string) => boolean]> = [
    ['/usr/bin', () => true],
    ['/usr/sbin', () => true],
    ['/usr/lib/x86_64-linux-gnu', (n) => /\.so(\.|$)/.test(n)],
  ];
  for (const [dir, want] of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const p = join(dir, n);
      try {
        if (want(n) && lstatSync(p).isFile() && isElf(p)) out.push(p);
      } catch {
        // unreadable: not part of the corpus
      }
    }
  }
  return out;
}

/** Parse the output of `readelf -W -l -d -V` for one file. */
function parseReadelf(text: string): Seen {
  const s: Seen = {
    interpreter: undefined, needed: [], soname: undefined, runpath: undefined, rpath: undefined,
    versionNeeds: [], versionDefs: [],
  };
  let section: 'defs' | 'needs' | undefined;
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null;
    if (/^Version definition section/.test(line)) section = 'defs';
    else if (/^Version needs section/.test(line)) section = 'needs';
    else if (/^\S/.test(line)) section = undefined;
    if ((m = line.match(/\[Requesting program interpreter: (.*)\]$/))) s.interpreter = m[1];
    else if ((m = line.match(/\(NEEDED\)\s+Shared library: \[(.*)\]$/))) s.needed.push(m[1]!);
    else if ((m = line.match(/\(SONAME\)\s+Library soname: \[(.*)\]$/))) s.soname ??= m[1];
    else if ((m = line.match(/\(RUNPATH\)\s+Library runpath: \[(.*)\]$/))) s.runpath ??= m[1];
    else if ((m = line.match(/\(RPATH\)\s+Library rpath: \[(.*)\]$/))) s.rpath ??= m[1];
    else if (section === 'defs' && (m = line.match(/^\s+\S+: Rev: \d+\s+Flags: (.*?)\s+Index: \d+\s+Cnt: \d+\s+Name: (.*)$/))) {
      s.versionDefs.push({ name: m[2]!, base: /BASE/.test(m[1]!), parents: [] });
    } else if (section === 'defs' && (m = line.match(/^\s+\S+: Parent \d+: (.*)$/))) {
      s.versionDefs.at(-1)?.parents.push(m[1]!);
    } else if (section === 'needs' && (m = line.match(/^\s+\S+: Version: \d+\s+File: (.*?)\s+Cnt: \d+$/))) {
      s.versionNeeds.push({ file: m[1]!, versions: [], weak: [] });
    } else if (section === 'needs' && (m = line.match(/^\s+\S+:\s+Name: (.*?)\s+Flags: (.*?)\s+Version: \d+$/))) {
      const need = s.versionNeeds.at(-1);
      need?.versions.push(m[1]!);
      if (/WEAK/.test(m[2]!)) need?.weak.push(m[1]!);
    }
  }
  return s;
}

/** readelf over many files; returns path → its section of the output. */
async function readelfMany(files: string[]): Promise<Map<string, string>> {
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH) batches.push(files.slice(i, i + BATCH));
  const out = new Map<string, string>();
  const workers = Math.max(2, Math.min(8, cpus().length));
  let next = 0;
  await Promise.all(Array.from({ length: workers }, async () => {
    while (next < batches.length) {
      const batch = batches[next++]!;
      const { stdout } = await run(READELF, ['-W', '-l', '-d', '-V', ...batch], {
        maxBuffer: 1 << 30, env: { ...process.env, LC_ALL: 'C' },
      });
      const parts = batch.length === 1 ? [`File: ${batch[0]!}\n${stdout}`] : stdout.split(/^(?=File: )/m).slice(1);
      for (const part of parts) {
        const nl = part.indexOf('\n');
        out.set(part.slice('File: '.length, nl), part.slice(nl + 1));
      }
    }
  }));
  return out;
}

function differences(path: string, ours: Seen, theirs: Seen): string[] {
  const diffs: string[] = [];
  for (const k of Object.keys(theirs) as Array<keyof Seen>) {
    const a = JSON.stringify(ours[k]);
    const b = JSON.stringify(theirs[k]);
    if (a !== b) diffs.push(`${path}: ${k}: ours ${a} readelf ${b}`);
  }
  return diffs;
}

describe('ELF reader against readelf on this machine', () => {
  // Real-corpus work (tens of seconds when other work shares the cores): the limit only bounds a hang.
  it(`agrees with readelf -l -d -V on at least ${MIN_FILES} real binaries and libraries`, { timeout: 600_000 }, async () => {
    const files = corpus();
    expect(files.length).toBeGreaterThanOrEqual(MIN_FILES);
    const started = Date.now();
    const oracle = await readelfMany(files);
    const diffs: string[] = [];
    const stats = { needs: 0, defs: 0, interp: 0, soname: 0, runpath: 0, rpath: 0 };
    for (const f of files) {
      const text = oracle.get(f);
      if (text === undefined) {
        diffs.push(`${f}: readelf printed nothing for it`);
        continue;
      }
      const info = readElf(readFileSync(f), f);
      if (info === undefined) {
        diffs.push(`${f}: ours says not ELF`);
        continue;
      }
      expect(readElfFile(f)).toEqual(info);
      const ours = seen(info);
      diffs.push(...differences(f, ours, parseReadelf(text)));
      if (ours.versionNeeds.length > 0) stats.needs++;
      if (ours.versionDefs.length > 0) stats.defs++;
      if (ours.interpreter !== undefined) stats.interp++;
      if (ours.soname !== undefined) stats.soname++;
      if (ours.runpath !== undefined) stats.runpath++;
      if (ours.rpath !== undefined) stats.rpath++;
    }
    console.log(`elf: ${files.length} files compared with readelf in ${Date.now() - started} ms; with ` +
      `version needs ${stats.needs}, version defs ${stats.defs}, interpreter ${stats.interp}, ` +
      `soname ${stats.soname}, runpath ${stats.runpath}, rpath ${stats.rpath}`);
    if (diffs.length > 0) {
      throw new Error(`${diffs.length} differences with readelf, first ones:\n${diffs.slice(0, 20).join('\n')}`);
    }
  });
});

// ---------------------------------------------------------------------------
// Synthetic ELF files: every class and byte order, checked against readelf.

interface Spec {
  machine: number;
  interpreter?: string;
  needed: string[];
  soname?: string;
  runpath?: string;
  rpath?: string;
  needs: Array<{ file: string; versions: Array<{ name: string; weak?: boolean }> }>;
  defs: Array<{ name: string; base?: boolean; parents?: string[] }>;
  /** Leave out the section header table (like `sstrip`). */
  noSections?: boolean;
}

function makeElf(cls: 32 | 64, endian: 'little' | 'big', spec: Spec): Buffer {
  const le = endian === 'little';
  const buf = Buffer.alloc(16384);
  const u16 = (o: number, v: number): number => (le ? buf.writeUInt16LE(v, o) : buf.writeUInt16BE(v, o));
  const u32 = (o: number, v: number): number => (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  const u64 = (o: number, v: number): number =>
    le ? buf.writeBigUInt64LE(BigInt(v), o) : buf.writeBigUInt64BE(BigInt(v), o);
  const word = (o: number, v: number): number => (cls === 64 ? u64(o, v) : u32(o, v));
  let pos = 0;
  const alloc = (n: number, align = 8): number => {
    pos = Math.ceil(pos / align) * align;
    const at = pos;
    pos += n;
    return at;
  };
  const put = (bytes: Buffer, align = 8): number => {
    const at = alloc(bytes.length, align);
    bytes.copy(buf, at);
    return at;
  };
  const ehsize = cls === 64 ? 64 : 52;
  const phent = cls === 64 ? 56 : 32;
  const shent = cls === 64 ? 64 : 40;
  const dynent = cls === 64 ? 16 : 8;

  alloc(ehsize);
  const phnum = spec.interpreter === undefined ? 2 : 3;
  const phoff = alloc(phent * phnum);

  let strtab = '\0';
  const strs = new Map<string, number>();
  const str = (s: string): number => {
    if (!strs.has(s)) {
      strs.set(s, Buffer.byteLength(strtab));
      strtab += `${s}\0`;
    }
    return strs.get(s)!;
  };
  for (const s of [...spec.needed, spec.soname, spec.runpath, spec.rpath]) if (s !== undefined) str(s);

  const interpOff = spec.interpreter === undefined ? 0 : put(Buffer.from(`${spec.interpreter}\0`), 1);

  // Version definitions: 20-byte Verdef, then 8-byte Verdaux records.
  let defsOff = 0;
  let defsSize = 0;
  if (spec.defs.length > 0) {
    defsSize = spec.defs.reduce((n, d) => n + 20 + 8 * (1 + (d.parents?.length ?? 0)), 0);
    defsOff = alloc(defsSize, 4);
    let at = defsOff;
    spec.defs.forEach((d, i) => {
      const names = [d.name, ...(d.parents ?? [])];
      const recSize = 20 + 8 * names.length;
      u16(at, 1); u16(at + 2, d.base ? 1 : 0); u16(at + 4, i + 1); u16(at + 6, names.length);
      u32(at + 8, 0); u32(at + 12, 20); u32(at + 16, i === spec.defs.length - 1 ? 0 : recSize);
      names.forEach((n, j) => {
        u32(at + 20 + 8 * j, str(n));
        u32(at + 24 + 8 * j, j === names.length - 1 ? 0 : 8);
      });
      at += recSize;
    });
  }

  // Version needs: 16-byte Verneed, then 16-byte Vernaux records.
  let needsOff = 0;
  let needsSize = 0;
  if (spec.needs.length > 0) {
    needsSize = spec.needs.reduce((n, d) => n + 16 + 16 * d.versions.length, 0);
    needsOff = alloc(needsSize, 4);
    let at = needsOff;
    let index = spec.defs.length + 2;
    spec.needs.forEach((n, i) => {
      const recSize = 16 + 16 * n.versions.length;
      u16(at, 1); u16(at + 2, n.versions.length); u32(at + 4, str(n.file)); u32(at + 8, 16);
      u32(at + 12, i === spec.needs.length - 1 ? 0 : recSize);
      n.versions.forEach((v, j) => {
        const a = at + 16 + 16 * j;
        u32(a, 0); u16(a + 4, v.weak ? 2 : 0); u16(a + 6, index++); u32(a + 8, str(v.name));
        u32(a + 12, j === n.versions.length - 1 ? 0 : 16);
      });
      at += recSize;
    });
  }

  const dynstrOff = put(Buffer.from(strtab), 1);
  const dynstrSize = Buffer.byteLength(strtab);

  const dyn: Array<[number, number]> = [];
  for (const n of spec.needed) dyn.push([1, str(n)]);
  if (spec.soname !== undefined) dyn.push([14, str(spec.soname)]);
  if (spec.runpath !== undefined) dyn.push([29, str(spec.runpath)]);
  if (spec.rpath !== undefined) dyn.push([15, str(spec.rpath)]);
  dyn.push([5, dynstrOff], [10, dynstrSize]);
  if (spec.defs.length > 0) dyn.push([0x6ffffffc, defsOff], [0x6ffffffd, spec.defs.length]);
  if (spec.needs.length > 0) dyn.push([0x6ffffffe, needsOff], [0x6fffffff, spec.needs.length]);
  dyn.push([0, 0]);
  const dynOff = alloc(dyn.length * dynent);
  dyn.forEach(([tag, val], i) => {
    word(dynOff + i * dynent, tag);
    word(dynOff + i * dynent + dynent / 2, val);
  });

  // Sections: [type, name, offset, size, link, info, entsize].
  const shnames = ['', '.interp', '.dynstr', '.gnu.version_d', '.gnu.version_r', '.dynamic', '.shstrtab'];
  const shstr = Buffer.from(`${shnames.join('\0')}\0`);
  const shstrOff = put(shstr, 1);
  const nameOff = (n: string): number => shstr.indexOf(`\0${n}\0`) + 1;
  const sections: Array<[number, string, number, number, number, number, number]> = [[0, '', 0, 0, 0, 0, 0]];
  if (spec.interpreter !== undefined) {
    sections.push([1, '.interp', interpOff, Buffer.byteLength(spec.interpreter) + 1, 0, 0, 0]);
  }
  const dynstrIndex = sections.length;
  sections.push([3, '.dynstr', dynstrOff, dynstrSize, 0, 0, 0]);
  if (spec.defs.length > 0) {
    sections.push([0x6ffffffd, '.gnu.version_d', defsOff, defsSize, dynstrIndex, spec.defs.length, 0]);
  }
  if (spec.needs.length > 0) {
    sections.push([0x6ffffffe, '.gnu.version_r', needsOff, needsSize, dynstrIndex, spec.needs.length, 0]);
  }
  sections.push([6, '.dynamic', dynOff, dyn.length * dynent, dynstrIndex, 0, dynent]);
  const shstrndx = sections.length;
  sections.push([3, '.shstrtab', shstrOff, shstr.length, 0, 0, 0]);
  const shoff = spec.noSections ? 0 : alloc(shent * sections.length);
  if (!spec.noSections) {
    sections.forEach(([type, name, off, size, link, info, entsize], i) => {
      const b = shoff + i * shent;
      u32(b, i === 0 ? 0 : nameOff(name)); u32(b + 4, type);
      if (cls === 64) {
        u64(b + 16, off); u64(b + 24, off); u64(b + 32, size); u32(b + 40, link); u32(b + 44, info);
        u64(b + 48, 1); u64(b + 56, entsize);
      } else {
        u32(b + 12, off); u32(b + 16, off); u32(b + 20, size); u32(b + 24, link); u32(b + 28, info);
        u32(b + 32, 1); u32(b + 36, entsize);
      }
    });
  }
  const total = pos;

  // Program headers: PT_LOAD (the whole file at address = offset), PT_INTERP, PT_DYNAMIC.
  const segs: Array<[number, number, number]> = [[1, 0, total]];
  if (spec.interpreter !== undefined) segs.push([3, interpOff, Buffer.byteLength(spec.interpreter) + 1]);
  segs.push([2, dynOff, dyn.length * dynent]);
  segs.forEach(([type, off, size], i) => {
    const b = phoff + i * phent;
    u32(b, type);
    if (cls === 64) {
      u32(b + 4, 4); u64(b + 8, off); u64(b + 16, off); u64(b + 24, off); u64(b + 32, size); u64(b + 40, size);
      u64(b + 48, type === 1 ? 0x1000 : 8);
    } else {
      u32(b + 4, off); u32(b + 8, off); u32(b + 12, off); u32(b + 16, size); u32(b + 20, size); u32(b + 24, 4);
      u32(b + 28, type === 1 ? 0x1000 : 4);
    }
  });

  // ELF header.
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, cls === 64 ? 2 : 1, le ? 1 : 2, 1]).copy(buf, 0);
  u16(16, 3); u16(18, spec.machine); u32(20, 1);
  if (cls === 64) {
    u64(24, 0); u64(32, phoff); u64(40, shoff); u32(48, 0);
    u16(52, ehsize); u16(54, phent); u16(56, phnum); u16(58, shent);
    u16(60, spec.noSections ? 0 : sections.length); u16(62, spec.noSections ? 0 : shstrndx);
  } else {
    u32(24, 0); u32(28, phoff); u32(32, shoff); u32(36, 0);
    u16(40, ehsize); u16(42, phent); u16(44, phnum); u16(46, shent);
    u16(48, spec.noSections ? 0 : sections.length); u16(50, spec.noSections ? 0 : shstrndx);
  }
  return Buffer.from(buf.subarray(0, total));
}

const SPEC: Spec = {
  machine: 0,
  interpreter: '/lib/ld-test.so.1',
  needed: ['libc.so.6', 'libm.so.6', 'libfoo.so.2'],
  soname: 'libbar.so.1',
  runpath: '$ORIGIN/../lib:/opt/x/lib',
  rpath: '/old/rpath',
  needs: [
    { file: 'libc.so.6', versions: [{ name: 'GLIBC_2.34' }, { name: 'GLIBC_2.2.5' }] },
    { file: 'libfoo.so.2', versions: [{ name: 'FOO_1.0', weak: true }] },
  ],
  defs: [
    { name: 'libbar.so.1', base: true },
    { name: 'BAR_1.0' },
    { name: 'BAR_1.1', parents: ['BAR_1.0'] },
  ],
};

const COMBOS: Array<{ cls: 32 | 64; endian: 'little' | 'big'; machine: number; name: string }> = [
  { cls: 64, endian: 'little', machine: 62, name: 'x86-64' },
  { cls: 64, endian: 'big', machine: 21, name: 'ppc64' },
  { cls: 32, endian: 'little', machine: 40, name: 'arm' },
  { cls: 32, endian: 'big', machine: 20, name: 'ppc' },
];

const tmp = mkdtempSync(join(tmpdir(), 'zpkg-elf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function expected(spec: Spec): Seen {
  return {
    interpreter: spec.interpreter,
    needed: spec.needed,
    soname: spec.soname,
    runpath: spec.runpath,
    rpath: spec.rpath,
    versionNeeds: spec.needs.map((n) => ({
      file: n.file,
      versions: n.versions.map((v) => v.name),
      weak: n.versions.filter((v) => v.weak).map((v) => v.name),
    })),
    versionDefs: spec.defs.map((d) => ({ name: d.name, base: d.base ?? false, parents: d.parents ?? [] })),
  };
}

describe('ELF reader on synthetic files of every class and byte order', () => {
  for (const c of COMBOS) {
    it(`${c.cls}-bit ${c.endian}-endian ${c.name}: agrees with readelf and with the spec`, async () => {
      const spec = { ...SPEC, machine: c.machine };
      const bytes = makeElf(c.cls, c.endian, spec);
      const path = join(tmp, `${c.cls}-${c.endian}.so`);
      writeFileSync(path, bytes);
      const info = readElf(bytes, path);
      expect(info).toBeDefined();
      expect(info!.class).toBe(c.cls);
      expect(info!.endianness).toBe(c.endian);
      expect(info!.machine).toBe(c.machine);
      expect(info!.machineName).toBe(c.name);
      expect(info!.type).toBe('DYN');
      expect(seen(info!)).toEqual(expected(spec));
      expect(readElfFile(path)).toEqual(info);
      const { stdout } = await run(READELF, ['-W', '-l', '-d', '-V', path], { env: { ...process.env, LC_ALL: 'C' } });
      expect(differences(path, seen(info!), parseReadelf(stdout))).toEqual([]);
    });

    it(`${c.cls}-bit ${c.endian}-endian without section headers: found through the dynamic tags`, () => {
      const spec = { ...SPEC, machine: c.machine, noSections: true };
      const info = readElf(makeElf(c.cls, c.endian, spec));
      expect(seen(info!)).toEqual(expected(spec));
    });
  }
});

describe('ELF reader on a debug-info file', () => {
  it('reads a file made by objcopy --only-keep-debug (segments without bytes) like readelf', async () => {
    const path = join(tmp, 'true.debug');
    await run('objcopy', ['--only-keep-debug', '/usr/bin/true', path]);
    const info = readElfFile(path);
    expect(info).toBeDefined();
    const { stdout } = await run(READELF, ['-W', '-l', '-d', '-V', path], { env: { ...process.env, LC_ALL: 'C' } });
    expect(differences(path, seen(info!), parseReadelf(stdout))).toEqual([]);
    expect(info!.interpreter).toBeUndefined();
    expect(info!.needed).toEqual([]);
  });
});

describe('ELF reader on bad input', () => {
  it('returns undefined for files that are not ELF', () => {
    for (const b of ['', '\x7fEL', '#!/bin/sh\necho hi\n', 'MZ\x90\0 not elf', 'ELF\x7f']) {
      expect(readElf(Buffer.from(b, 'latin1'))).toBeUndefined();
    }
    const script = join(tmp, 'script.sh');
    writeFileSync(script, '#!/bin/sh\n');
    expect(readElfFile(script)).toBeUndefined();
  });

  function expectIoError(f: () => unknown): void {
    try {
      f();
    } catch (err) {
      if (isZpkgError(err, 'E_IO')) return;
      throw err;
    }
    throw new Error('expected ZpkgError E_IO, got a result');
  }

  it('refuses truncated files with ZpkgError E_IO', () => {
    const real = readFileSync('/usr/bin/true');
    const synthetic = makeElf(32, 'big', { ...SPEC, machine: 20 });
    for (const bytes of [real, synthetic]) {
      for (const len of [5, 16, 40, 51, 63, 100, Math.floor(bytes.length / 2), bytes.length - 1]) {
        expectIoError(() => readElf(bytes.subarray(0, len)));
      }
    }
    const path = join(tmp, 'truncated');
    writeFileSync(path, real.subarray(0, real.length - 1));
    expectIoError(() => readElfFile(path));
    expect(() => readElf(real.subarray(0, 100), 'true')).toThrow(/true: corrupt or truncated ELF file/);
  });

  it('refuses an unknown class or byte order', () => {
    const bytes = Buffer.from(readFileSync('/usr/bin/true'));
    bytes[4] = 3;
    expectIoError(() => readElf(bytes));
    bytes[4] = 2;
    bytes[5] = 0;
    expectIoError(() => readElf(bytes));
  });

  it('never throws anything but ZpkgError E_IO on corrupted bytes (fixed-seed fuzz)', () => {
    const rand = prng(6);
    let parsed = 0;
    let refused = 0;
    for (const c of COMBOS) {
      const good = makeElf(c.cls, c.endian, { ...SPEC, machine: c.machine, noSections: rand() < 0.3 });
      for (let i = 0; i < 1500; i++) {
        const bytes = Buffer.from(good);
        const flips = 1 + Math.floor(rand() * 6);
        for (let k = 0; k < flips; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
        try {
          if (readElf(bytes) !== undefined) parsed++;
        } catch (err) {
          if (!isZpkgError(err, 'E_IO')) throw err;
          refused++;
        }
      }
    }
    expect(parsed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
