/** `zpkg repo repack DIR`: gather the live frames of sparse and scattered packs into one new pack (repo/repack.ts). */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { RepackResult } from '../../repo/repack.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

function render(r: RepackResult): string {
  const why = (reason: string): number => r.packs.filter((p) => p.reason === reason).length;
  const reasons = [['sparse', why('sparse')], ['scattered', why('scattered')], ['duplicate', why('duplicate')]].filter(([, n]) => n).map(([w, n]) => `${n} ${w}`).join(', ');
  const dead = r.packs.reduce((n, p) => n + p.frameBytes - p.liveBytes, 0);
  const head = `${r.location}: ${counted(r.packages, 'package version')} in ${counted(r.packs.length, 'pack')} (${formatBytes(r.bytesBefore)}, ${formatBytes(dead)} of frames no record uses); one version in at most ${counted(r.spanBefore, 'pack')}`;
  if (r.gathered === 0) return `${head}\nnothing to repack: no pack is less than ${Math.round(r.limits.sparse * 100)} % used, no version lies in more than ${counted(r.limits.span, 'pack')} (--all gathers every pack)`;
  if (r.dryRun) return `${head}\nwould gather ${counted(r.gathered, 'pack')}${reasons ? ` (${reasons})` : ''} into one`;
  if (r.unchanged) return `${head}\nthe pack it would make is ${r.pack!.digest.slice(7, 19)}…, the one it has, byte for byte: nothing written; repository version ${r.repoVersion}`;
  return [
    head,
    `gathered ${counted(r.gathered, 'pack')}${reasons ? ` (${reasons})` : ''} into ${r.pack!.digest.slice(7, 19)}… (${counted(r.frames, 'frame')}, ${counted(r.blobs, 'blob')}, ${formatBytes(r.pack!.size)}); deleted ${r.removed}`,
    `${counted(r.records, 'record')} rewritten; deltas: ${r.deltas.written} made again, ${r.deltas.removed} dropped; repository version ${r.repoVersion}`,
    `packs in use: ${formatBytes(r.bytesBefore)} → ${formatBytes(r.bytesAfter)}; one version in at most ${counted(r.spanAfter, 'pack')}`,
  ].join('\n');
}

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(
    repo
      .command('repack')
      .description('gather what the catalog still uses of sparse packs (after `repo remove`) and scattered ones (a version in more than a few packs) into one new pack, and delete them')
      .argument('<dir>', 'repository: a directory, s3:// or a depot http(s):// with --token')
      .option('--all', 'gather every pack a record uses')
      .option('-n, --dry-run', 'print what would be gathered; write nothing')
      .option('--token <token>', 'bearer token when DIR is a depot (default: $ZPKG_TOKEN)'),
  ).action(async (dir: string, opts: SigningOpts & { all?: boolean; dryRun?: boolean; token?: string }, cmd: Command) => {
    const { openRepoWriter } = await import('../../repo/open.js');
    const { repackRepo } = await import('../../repo/repack.js');
    const report = ctx.report(cmd);
    const progress = report.progress('blobs', 0);
    const r = await repackRepo(openRepoWriter(dir, { token: opts.token }), { all: opts.all, dryRun: opts.dryRun, signer: opts.dryRun ? undefined : await signerFrom(opts), onBlob: (n) => progress.tick(1, n) });
    progress.done();
    report.result(r, render);
  });
}
