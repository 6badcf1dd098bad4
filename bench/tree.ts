/**
 * A deterministic file tree that looks like a real package payload: many small
 * text-like files, some mid-sized ones, a few big ones; content mixing text (repeated
 * words, compresses well), binary-like data (tables, zero runs, repeats, some noise)
 * and incompressible data (like already-compressed assets), so zstd compresses the
 * whole at a realistic 2–3×; a few hundred directories, a few dozen relative symlinks
 * (two of them to directories) and a couple of executables.
 *
 * Everything comes from one fixed-seed PRNG, so the same options always give the
 * same bytes. Incompressible data is an AES-CTR keystream keyed from that PRNG:
 * deterministic and fast.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';

export interface TreeShape {
  files: number;
  /** Target total of regular-file bytes. */
  bytes: number;
  dirs: number;
  symlinks: number;
  bigFiles: number;
  bigMin: number;
  bigMax: number;
}

export const FULL_SHAPE: TreeShape = {
  files: 20_000,
  bytes: 380_000_000,
  dirs: 320,
  symlinks: 40,
  bigFiles: 10,
  bigMin: 2_000_000,
  bigMax: 12_000_000,
};

export const QUICK_SHAPE: TreeShape = {
  files: 2_000,
  bytes: 40_000_000,
  dirs: 60,
  symlinks: 10,
  bigFiles: 2,
  bigMin: 2_000_000,
  bigMax: 6_000_000,
};

export const DEFAULT_SEED = 0x7a706b67; // "zpkg"

export type ContentKind = 'text' | 'binary' | 'random';

export interface TreeFile {
  path: string;
  size: number;
  mode: number;
  kind: ContentKind;
  sha256: string;
}

export interface TreeLink {
  path: string;
  target: string;
  toDir: boolean;
}

export interface TreeSpec {
  seed: number;
  /** Directories, parents first, relative to the tree root. */
  dirs: string[];
  files: TreeFile[];
  links: TreeLink[];
  totalBytes: number;
  uid: number;
  gid: number;
}

/** sfc32 seeded through splitmix32: small, fast, good enough for test data. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.next();
  }

  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** Log-uniform integer in [lo, hi]. */
  logUniform(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo))));
  }

  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i += 4) b.writeUInt32LE(this.next(), i);
    return b;
  }
}

const SYLLABLES = [
  'ka', 'lo', 'mi', 'ner', 'tus', 'ion', 'ex', 'pre', 'con', 'ad', 'ra', 'vel', 'sto', 'qui', 'ment', 'al',
  'or', 'ti', 'zu', 'bar', 'de', 'fin', 'gro', 'hap', 'is', 'jo', 'ku', 'lim', 'mon', 'nu', 'op', 'per',
  'sa', 'tor', 'un', 'vi', 'wen', 'xa', 'yo', 'zen', 'ble', 'cha', 'dra', 'eth', 'fla', 'gle', 'ing', 'ous',
];
const COMMON = [
  'the', 'of', 'and', 'to', 'in', 'is', 'return', 'if', 'const', 'int', 'static', 'void', 'for', 'struct',
  'value', 'data', 'size', 'name', 'error', 'buffer', 'config', 'default', 'else', 'while', 'self', 'char',
  'unsigned', 'len', 'ptr', 'node', 'list', 'index', 'type', 'state', 'result', 'None', 'true', 'false',
];
const SEPARATORS = [' ', ' ', ' ', ' ', ' ', ' ', '_', '(', ') ', ', ', '.', ' = ', '->', ' == ', ': ', '[', '] '];
const INDENTS = ['', '', '', '  ', '    ', '    ', '        ', '        ', '            ', '\t', '\t\t'];

const enc = (s: string): Buffer => Buffer.from(s, 'latin1');

class ContentGen {
  private readonly words: Buffer[];
  private readonly seps = SEPARATORS.map(enc);
  private readonly indents = INDENTS.map(enc);
  private readonly zero = Buffer.alloc(1 << 20);

  constructor(private readonly rng: Rng) {
    const words = COMMON.map(enc);
    const seen = new Set(COMMON);
    while (words.length < 6000) {
      let w = '';
      const n = rng.int(1, 4);
      for (let i = 0; i < n; i++) w += rng.pick(SYLLABLES);
      if (rng.float() < 0.08) w = w[0]!.toUpperCase() + w.slice(1);
      if (rng.float() < 0.05) w += String(rng.int(0, 99));
      if (!seen.has(w)) {
        seen.add(w);
        words.push(enc(w));
      }
    }
    this.words = words;
  }

  /** A word; low indexes much more frequent (roughly Zipf), like real text and code. */
  word(): Buffer {
    const u = this.rng.float();
    return this.words[Math.floor(this.words.length * u * u * u * u * u)]!;
  }

  /** Pseudo-prose / pseudo-code lines. */
  text(buf: Buffer, start: number, end: number): void {
    let pos = start;
    const put = (b: Buffer): void => {
      const n = Math.min(b.length, end - pos);
      b.copy(buf, pos, 0, n);
      pos += n;
    };
    while (pos < end) {
      if (pos - start > 512 && this.rng.float() < 0.25) {
        // Real text and code repeat themselves: copy a recent stretch.
        const n = Math.min(end - pos, this.rng.int(16, 160));
        const from = pos - this.rng.int(n, Math.min(pos - start, 4096));
        buf.copy(buf, pos, from, from + n);
        pos += n;
        continue;
      }
      put(this.rng.pick(this.indents));
      const n = this.rng.int(2, 13);
      for (let i = 0; i < n && pos < end; i++) {
        put(this.word());
        if (i < n - 1) put(this.rng.float() < 0.7 ? this.seps[0]! : this.rng.pick(this.seps));
      }
      if (pos < end) buf[pos++] = this.rng.float() < 0.3 ? 0x3b : 0x20; // ';' or ' '
      if (pos < end) buf[pos++] = 0x0a;
    }
  }

  /** Incompressible bytes: an AES-128-CTR keystream keyed from the PRNG. */
  random(buf: Buffer, start: number, end: number): void {
    const cipher = createCipheriv('aes-128-ctr', this.rng.bytes(16), this.rng.bytes(16));
    for (let pos = start; pos < end; ) {
      const n = Math.min(end - pos, this.zero.length);
      cipher.update(this.zero.subarray(0, n)).copy(buf, pos);
      pos += n;
    }
  }

  /** Binary-like: zero runs, little-endian tables, noise, back-references, string tables. */
  binary(buf: Buffer, start: number, end: number): void {
    let pos = start;
    while (pos < end) {
      const n = Math.min(end - pos, this.rng.int(64, 4096));
      const r = this.rng.float();
      if (r < 0.2) {
        buf.fill(0, pos, pos + n);
      } else if (r < 0.32) {
        this.random(buf, pos, pos + n);
      } else if (r < 0.65) {
        let v = this.rng.next();
        const stride = this.rng.int(1, 64);
        let i = pos;
        for (; i + 4 <= pos + n; i += 4) {
          buf.writeUInt32LE(v >>> 0, i);
          v = (v + stride + (this.rng.float() < 0.1 ? this.rng.int(0, 255) : 0)) >>> 0;
        }
        buf.fill(0, i, pos + n);
      } else if (r < 0.85 && pos - start > n) {
        const from = start + this.rng.int(0, pos - start - n);
        buf.copy(buf, pos, from, from + n);
        for (let k = 0, m = this.rng.int(0, 8); k < m; k++) buf[pos + this.rng.int(0, n - 1)] = this.rng.next() & 0xff;
      } else {
        this.text(buf, pos, pos + n);
      }
      pos += n;
    }
  }

  fill(kind: ContentKind, buf: Buffer, size: number): void {
    if (kind === 'text') this.text(buf, 0, size);
    else if (kind === 'binary') this.binary(buf, 0, size);
    else this.random(buf, 0, size);
  }
}

const EXTENSIONS: Record<ContentKind, readonly string[]> = {
  text: ['.txt', '.h', '.c', '.py', '.md', '.json', '.conf', '.js', '.html'],
  binary: ['.so', '.o', '.bin', '.dat', '.mo', '.pyc'],
  random: ['.png', '.gz', '.jpg', '.zst', '.woff2'],
};

interface PlannedFile {
  path: string;
  size: number;
  mode: number;
  kind: ContentKind;
}

interface Plan {
  dirs: string[];
  files: PlannedFile[];
  links: TreeLink[];
}

function pickKind(rng: Rng, size: number): ContentKind {
  const r = rng.float();
  if (size <= 8192) return r < 0.85 ? 'text' : r < 0.95 ? 'binary' : 'random';
  if (size <= 524288) return r < 0.55 ? 'text' : r < 0.85 ? 'binary' : 'random';
  return r < 0.4 ? 'text' : r < 0.75 ? 'binary' : 'random';
}

function plan(rng: Rng, gen: ContentGen, shape: TreeShape): Plan {
  const fixed = ['usr', 'usr/bin', 'usr/lib', 'usr/share', 'usr/share/doc', 'usr/include'];
  const roots = ['usr/lib/benchtree', 'usr/share/benchtree', 'usr/include/benchtree', 'usr/share/doc/benchtree'];
  const dirs = [...fixed, ...roots];
  const dirSet = new Set(dirs);
  const grown = [...roots];
  while (dirs.length < shape.dirs) {
    const parent = rng.pick(grown);
    if (parent.split('/').length >= 9) continue;
    const dir = `${parent}/${gen.word().toString('latin1').toLowerCase()}`;
    if (dirSet.has(dir)) continue;
    dirSet.add(dir);
    dirs.push(dir);
    grown.push(dir);
  }

  // Sizes: bigs, then the rest split ~88% small / ~12% mid; mids scaled to hit the byte target.
  const exes = 2;
  const bigSizes = Array.from({ length: shape.bigFiles }, () => rng.logUniform(shape.bigMin, shape.bigMax));
  const rest = shape.files - shape.bigFiles - exes;
  const midCount = Math.round(rest * 0.1245);
  const smallSizes = Array.from({ length: rest - midCount }, () => rng.logUniform(100, 8192));
  let midSizes = Array.from({ length: midCount }, () => rng.logUniform(8193, 524288));
  const exeSizes = [rng.int(150_000, 400_000), rng.int(2_000, 6_000)];
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const fixedBytes = sum(bigSizes) + sum(smallSizes) + sum(exeSizes);
  const factor = Math.max(0.2, (shape.bytes - fixedBytes) / Math.max(1, sum(midSizes)));
  midSizes = midSizes.map((s) => Math.min(524288, Math.max(8193, Math.round(s * factor))));

  const sizes = [...smallSizes, ...midSizes, ...bigSizes];
  // Shuffle so sizes are spread over the tree (Fisher–Yates).
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
  }
  const fileDirs = grown;
  const files: PlannedFile[] = [
    { path: 'usr/bin/benchtree', size: exeSizes[0]!, mode: 0o755, kind: 'binary' },
    { path: 'usr/bin/benchtree-helper', size: exeSizes[1]!, mode: 0o755, kind: 'text' },
  ];
  sizes.forEach((size, i) => {
    const kind = pickKind(rng, size);
    const name = `${gen.word().toString('latin1').toLowerCase()}-${i.toString(36)}${rng.pick(EXTENSIONS[kind])}`;
    files.push({ path: `${rng.pick(fileDirs)}/${name}`, size, mode: 0o644, kind });
  });

  const links: TreeLink[] = [];
  for (let i = 0; i < shape.symlinks; i++) {
    const dir = rng.pick(fileDirs);
    const toDir = i < 2;
    let target: string;
    if (toDir) {
      // Never an ancestor of the link (no loops for tools that follow links).
      do target = rng.pick(fileDirs);
      while (dir === target || dir.startsWith(`${target}/`));
    } else {
      target = rng.pick(files).path;
    }
    const base = posix.basename(target).replace(/\.[^.]*$/, '');
    links.push({ path: `${dir}/${base}.l${i}${toDir ? '' : posix.extname(target)}`, target: posix.relative(dir, target), toDir });
  }
  return { dirs, files, links };
}

export interface GenerateOptions {
  shape: TreeShape;
  seed?: number;
}

/** Writes the tree under `root` (which must not exist or be empty) and describes it. */
export function generateTree(root: string, opts: GenerateOptions): TreeSpec {
  const seed = opts.seed ?? DEFAULT_SEED;
  const rng = new Rng(seed);
  const gen = new ContentGen(rng);
  const p = plan(rng, gen, opts.shape);

  mkdirSync(root, { recursive: true });
  chmodSync(root, 0o755);
  for (const d of p.dirs) {
    mkdirSync(`${root}/${d}`, { mode: 0o755 });
    chmodSync(`${root}/${d}`, 0o755);
  }
  const buf = Buffer.alloc(Math.max(...p.files.map((f) => f.size)));
  const files: TreeFile[] = [];
  let totalBytes = 0;
  for (const f of p.files) {
    gen.fill(f.kind, buf, f.size);
    if (f.path === 'usr/bin/benchtree-helper') buf.write('#!/bin/sh\n# benchtree helper\nexit 0\n#', 0, 'latin1');
    const data = buf.subarray(0, f.size);
    const file = `${root}/${f.path}`;
    writeFileSync(file, data, { mode: f.mode });
    chmodSync(file, f.mode);
    files.push({ ...f, sha256: createHash('sha256').update(data).digest('hex') });
    totalBytes += f.size;
  }
  for (const l of p.links) symlinkSync(l.target, `${root}/${l.path}`);
  return {
    seed,
    dirs: p.dirs,
    files,
    links: p.links,
    totalBytes,
    uid: process.getuid?.() ?? 0,
    gid: process.getgid?.() ?? 0,
  };
}
