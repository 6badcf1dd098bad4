/**
 * zpkg seals blocks byte for byte as rfs does: the block key and the
 * compressed bytes zpkg makes equal those of the very Rust crates rfs uses
 * (snap and blake2b_simd, Debian's packages, built offline into a small
 * oracle: test/helpers/rfs-block-oracle). AES-256-GCM under that key and the
 * nonce key[0..12] is deterministic, so the stored bytes, and the id that
 * hashes them, are rfs's too: the same content is the same block whichever
 * tool stored it.
 */
import { execFileSync } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealBlock } from '../src/flist/block.js';
import { sqlite } from './helpers/flists.js';
import { ok, REPO_ROOT, tempDir, writePackage } from './helpers/zpkg.js';

const BLOCK = 512 * 1024;
let oracle: string;

function cargo(): string {
  for (const c of [join(homedir(), '.cargo/bin/cargo'), '/root/.cargo/bin/cargo']) if (existsSync(c)) return c;
  return 'cargo';
}

/** `key compressed` per 512 KiB chunk, as rfs's crates make them. */
function rfsLines(data: Buffer): string[] {
  const out = execFileSync(oracle, { input: data, encoding: 'utf8', maxBuffer: 1 << 28 }).trim();
  return out ? out.split('\n') : [];
}

async function zpkgLines(data: Buffer): Promise<string[]> {
  const lines: string[] = [];
  for (let off = 0; off < data.length; off += BLOCK) {
    const b = await sealBlock(data.subarray(off, off + BLOCK));
    const d = createDecipheriv('aes-256-gcm', b.key, b.key.subarray(0, 12));
    d.setAuthTag(b.stored.subarray(b.stored.length - 16));
    const compressed = Buffer.concat([d.update(b.stored.subarray(0, b.stored.length - 16)), d.final()]);
    lines.push(`${b.key.toString('hex')} ${compressed.toString('hex')}`);
  }
  return lines;
}

beforeAll(() => {
  // Built in .cache/ (gitignored), where cargo may write its lock file and target directory.
  const dir = join(REPO_ROOT, '.cache/rfs-block-oracle');
  mkdirSync(dir, { recursive: true });
  cpSync(join(REPO_ROOT, 'test/helpers/rfs-block-oracle'), dir, { recursive: true });
  execFileSync(
    cargo(),
    ['build', '--release', '--offline', '--quiet', '--config', 'source.crates-io.replace-with="debian"', '--config', 'source.debian.directory="/usr/share/cargo/registry"'],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  oracle = join(dir, 'target/release/rfs-block-oracle');
}, 600_000);

describe("zpkg's blocks are rfs's blocks", () => {
  it.each([
    ['random bytes, several blocks', () => randomBytes(3 * BLOCK + 1234)],
    ['zeros (highly compressible)', () => Buffer.alloc(BLOCK + 7)],
    ['text', () => Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(20000))],
    ['a real program (busybox)', () => readFileSync('/bin/busybox')],
    ['exactly one block', () => randomBytes(BLOCK)],
    ['one byte', () => Buffer.from('x')],
  ])('%s: the same key and compressed bytes as snap + blake2b_simd', async (_what, make) => {
    const data = make();
    const rust = rfsLines(data);
    expect(rust).toHaveLength(Math.ceil(data.length / BLOCK));
    expect(await zpkgLines(data)).toEqual(rust);
  });

  it('an exported flist names, for each block of a file, the key rfs computes for that chunk', () => {
    const work = tempDir('zpkg-flist-crates-');
    writePackage(join(work, 'src'), { name: 'bb', version: '1' }, { 'bin/busybox': { content: readFileSync('/bin/busybox'), mode: 0o755 } });
    ok(['repo', 'create', join(work, 'repo')]);
    ok(['build', join(work, 'src'), '--repo', join(work, 'repo')]);
    const fl = join(work, 'bb.fl');
    ok(['export-flist', 'bb', '--repo', join(work, 'repo'), '--store', join(work, 'store'), '-o', fl]);
    const keys = sqlite(fl, "SELECT lower(hex(b.key)) AS key FROM block b JOIN inode i ON i.ino = b.ino WHERE i.name = 'busybox' ORDER BY b.rowid").map((r) => r.key);
    expect(keys).toEqual(rfsLines(readFileSync('/bin/busybox')).map((l) => l.split(' ')[0]));
  });
});
