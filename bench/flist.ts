/**
 * Suite `flist` (issue 14): how fast zpkg writes and reads flists, side by side
 * with the rfs model (test/helpers/rfs_model.py: rfs's pack and unpack with a
 * directory store, in Python on hashlib, OpenSSL's AES-GCM and Google's C++
 * snappy — rfs itself cannot be built here, its crates are not packaged).
 * One tree (200 MB: large incompressible files, compressible text, many small
 * files); each measurement is the median of the runs, every run into a fresh
 * store or directory. The issue sets no speed goal: the ratios are reported.
 */
import { createCipheriv } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, mustRun } from './proc.js';
import type { BenchContext, BenchSuite, SuiteResult } from './suite.js';
import { fmtSeconds, formatTable } from './table.js';

/** Deterministic incompressible bytes (AES-CTR of zeros). */
function noise(size: number, seed: number): Buffer {
  const key = Buffer.alloc(16, seed & 0xff);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

function text(size: number, seed: number): Buffer {
  const line = `line ${seed} of a configuration-like text file, somewhat repetitive\n`;
  return Buffer.from(line.repeat(Math.ceil(size / line.length)).slice(0, size));
}

function makeTree(root: string, quick: boolean): number {
  const scale = quick ? 0.1 : 1;
  let bytes = 0;
  const put = (path: string, data: Buffer): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), data);
    bytes += data.length;
  };
  for (let i = 0; i < 8; i++) put(`opt/big/blob${i}`, noise(Math.round(16_000_000 * scale), i));
  for (let i = 0; i < Math.round(200 * scale); i++) put(`usr/share/doc/t${i % 10}/f${i}.txt`, text(256 * 1024, i));
  for (let i = 0; i < Math.round(2000 * scale); i++) put(`usr/lib/small/d${i % 50}/s${i}`, noise(10 * 1024, 1000 + i));
  return bytes;
}

export const flistSuite: BenchSuite = {
  name: 'flist',
  description: 'export-flist and import-flist of a 200 MB tree, side by side with the rfs model (pack, unpack)',
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const zpkg = (args: string[]) => mustRun(process.execPath, [join(ctx.repoRoot, 'bin/zpkg.js'), ...args]);
    const model = (args: string[]) => mustRun('/usr/bin/python3', [join(ctx.repoRoot, 'test/helpers/rfs_model.py'), ...args]);
    const src = join(ctx.workDir, 'src');
    const bytes = makeTree(join(src, 'root'), ctx.quick);
    writeFileSync(join(src, 'zpkg.yaml'), 'name: tree\nversion: "1.0"\nsummary: bench\nowner: root\ngroup: root\nroot: root\n');
    const repo = join(ctx.workDir, 'repo');
    await zpkg(['repo', 'create', repo]);
    ctx.log(`building a ${(bytes / 1e6).toFixed(0)} MB package`);
    await zpkg(['build', src, '--repo', repo]);

    const times: Record<string, number[]> = { zpkgExport: [], modelPack: [], zpkgImport: [], modelUnpack: [], zpkgImportModel: [] };
    const fresh = (name: string): string => {
      const p = join(ctx.workDir, name);
      rmSync(p, { recursive: true, force: true });
      return p;
    };
    for (let rep = 0; rep < Math.max(1, ctx.reps); rep++) {
      ctx.log(`run ${rep + 1}`);
      const zfl = join(ctx.workDir, 'tree-1.0.fl');
      times.zpkgExport!.push((await zpkg(['export-flist', 'tree', '--repo', repo, '--store', fresh('zstore'), '-o', zfl])).seconds);
      const mfl = join(ctx.workDir, 'model', 'tree-1.0.fl');
      mkdirSync(join(ctx.workDir, 'model'), { recursive: true });
      times.modelPack!.push((await model(['pack', join(src, 'root'), mfl, fresh('mstore')])).seconds);
      times.zpkgImport!.push((await zpkg(['import-flist', zfl])).seconds);
      times.modelUnpack!.push((await model(['unpack', zfl, join(ctx.workDir, 'zstore'), fresh('unpacked')])).seconds);
      times.zpkgImportModel!.push((await zpkg(['import-flist', mfl])).seconds);
    }
    const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<string, number>;
    const mbps = (s: number): string => `${(bytes / 1e6 / s).toFixed(0)} MB/s`;
    const rows = [
      ['write: zpkg export-flist (from a repository) / rfs model pack (from the tree)', `${fmtSeconds(m.zpkgExport)} s, ${mbps(m.zpkgExport!)}`, `${fmtSeconds(m.modelPack)} s, ${mbps(m.modelPack!)}`, `${(m.zpkgExport! / m.modelPack!).toFixed(2)}×`],
      ['read: zpkg import-flist (fetch, check, convert) / rfs model unpack', `${fmtSeconds(m.zpkgImport)} s, ${mbps(m.zpkgImport!)}`, `${fmtSeconds(m.modelUnpack)} s, ${mbps(m.modelUnpack!)}`, `${(m.zpkgImport! / m.modelUnpack!).toFixed(2)}×`],
      ['read what the rfs model packed: zpkg import-flist', `${fmtSeconds(m.zpkgImportModel)} s, ${mbps(m.zpkgImportModel!)}`, '', ''],
    ];
    console.log(formatTable([`flist, ${(bytes / 1e6).toFixed(0)} MB tree`, 'zpkg', 'rfs model', 'zpkg / model'], rows));
    return {
      summary: `export ${fmtSeconds(m.zpkgExport)} s (${mbps(m.zpkgExport!)}), import ${fmtSeconds(m.zpkgImport)} s (${mbps(m.zpkgImport!)}); rfs model pack ${fmtSeconds(m.modelPack)} s, unpack ${fmtSeconds(m.modelUnpack)} s`,
      goals: [],
      data: { bytes, seconds: times },
    };
  },
};
