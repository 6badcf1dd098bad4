/**
 * Does zpkg check digests? Copies the repository (hard links), replaces the blob
 * of one mid-sized file with a blob whose content differs by one byte
 * (re-compressed with zstd when the blob is a plain zstd frame, else one byte
 * flipped in place), and installs from it into a fresh image: zpkg must exit
 * non-zero and leave no file of the package behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeExit, mustRun, run } from '../proc.js';
import { PKG, type Bench, type Prepared, type TamperResult } from './types.js';

export async function tamperTest(b: Bench, p: Prepared): Promise<TamperResult> {
  const w = b.ctx.workDir;
  const { spec, tree, repo } = p;
  const victim = spec.files.find((f) => f.size > 20_000 && f.size < 200_000 && f.kind === 'text') ?? spec.files[0]!;
  const badRepo = join(w, 'repo-tampered');
  await mustRun('cp', ['-al', repo, badRepo]);
  const blob = findFileNamed(badRepo, victim.sha256);
  if (!blob) return { refused: null, wroteFiles: null, detail: `could not find a blob named after sha256 ${victim.sha256.slice(0, 12)}… in the repository`, message: '' };
  const raw = readFileSync(blob);
  unlinkSync(blob); // break the hard link before writing
  let how: string;
  writeFileSync(`${blob}.orig`, raw);
  const dec = await run('zstd', ['-d', '-q', '-f', '-o', `${blob}.plain`, `${blob}.orig`]);
  const decoded = dec.code === 0 && existsSync(`${blob}.plain`) ? readFileSync(`${blob}.plain`) : null;
  rmSync(`${blob}.plain`, { force: true });
  if (decoded && createHash('sha256').update(decoded).digest('hex') === victim.sha256) {
    const content = readFileSync(join(tree, victim.path));
    const at = content.length >> 1;
    content[at] = content[at]! ^ 0x01;
    writeFileSync(`${blob}.plain`, content);
    await mustRun('zstd', ['-q', '-3', '-f', '-o', blob, `${blob}.plain`]);
    rmSync(`${blob}.plain`);
    how = 'content changed by one bit, re-compressed as valid zstd';
  } else {
    const at = raw.length >> 1;
    raw[at] = raw[at]! ^ 0x01;
    writeFileSync(blob, raw);
    how = 'one bit flipped in the stored blob';
  }
  rmSync(`${blob}.orig`);
  const image = join(w, 't', 'tampered');
  try {
    await p.zpkgImage(image, badRepo);
  } catch (e) {
    return { refused: null, wroteFiles: null, detail: `could not set up the image: ${(e as Error).message}`, message: '' };
  }
  const r = await run(...b.zpkg('--root', image, 'install', PKG));
  const wrote = countFiles(join(image, 'usr'), '');
  rmSync(badRepo, { recursive: true, force: true });
  rmSync(image, { recursive: true, force: true });
  const message = b.shown(r.stderr.trim() || r.stdout.trim());
  const short = message.split('\n')[0]!.replace(/sha256:([0-9a-f]{12})[0-9a-f]{52}/g, 'sha256:$1…');
  const brief = short.length > 140 ? `${short.slice(0, 140)}…` : short;
  if (r.code === 0) return { refused: false, wroteFiles: wrote, detail: `${how}: install SUCCEEDED (${b.shown(r.command)}) — digest not checked`, message };
  return {
    refused: true,
    wroteFiles: wrote,
    detail: `${how} in ${relative(badRepo, blob).replace(/[0-9a-f]{52}\.zst$/, '….zst')}: refused (${describeExit(r)}: "${brief}"); ${wrote} package files left in the image`,
    message,
  };
}

function findFileNamed(dir: string, needle: string): string | null {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const hit = findFileNamed(p, needle);
      if (hit) return hit;
    } else if (e.isFile() && e.name.includes(needle)) {
      return p;
    }
  }
  return null;
}

function countFiles(dir: string, skip: string): number {
  if (!existsSync(dir)) return 0;
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (p === skip) continue;
    if (e.isDirectory()) n += countFiles(p, skip);
    else n++;
  }
  return n;
}
