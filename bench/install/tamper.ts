/**
 * Does zpkg check digests? Copies the repository (hard links), rewrites the
 * pack holding one mid-sized file so that its blob's content differs by one
 * bit (a valid pack and blob map: bench/shared/tamper-pack.ts), and installs
 * from it into a fresh image: zpkg must exit non-zero and leave no file of
 * the package behind.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describeExit, mustRun, run } from '../proc.js';
import { tamperBlob } from '../shared/tamper-pack.js';
import { PKG, type Bench, type Prepared, type TamperResult } from './types.js';

export async function tamperTest(b: Bench, p: Prepared): Promise<TamperResult> {
  const w = b.ctx.workDir;
  const { spec, tree, repo } = p;
  const victim = spec.files.find((f) => f.size > 20_000 && f.size < 200_000 && f.kind === 'text') ?? spec.files[0]!;
  const badRepo = join(w, 'repo-tampered');
  await mustRun('cp', ['-al', repo, badRepo]);
  let blob: string;
  try {
    // The victim's frame is rewritten with the content one bit off, a valid pack and blob map to match: only the digest can tell.
    blob = tamperBlob(badRepo, `sha256:${victim.sha256}`, (content) => {
      const at = content.length >> 1;
      content[at] = content[at]! ^ 0x01;
      return content;
    });
  } catch (e) {
    return { refused: null, wroteFiles: null, detail: `could not tamper with the blob of sha256 ${victim.sha256.slice(0, 12)}…: ${(e as Error).message}`, message: '' };
  }
  const how = 'content changed by one bit, re-packed as a valid pack';
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
    detail: `${how} in ${relative(badRepo, blob).replace(/[0-9a-f]{52}\.pack$/, '….pack')}: refused (${describeExit(r)}: "${brief}"); ${wrote} package files left in the image`,
    message,
  };
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
