/** `zpkg repo upgrade DIR`: convert a format 2 repository into format 3 (packs) in place. */
import type { Command } from 'commander';
import { counted, formatBytes } from '../../report/table.js';
import type { UpgradeResult } from '../../repo/upgrade.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

const render = (r: UpgradeResult): string =>
  `${r.location}: format ${r.from} → ${r.to}, repository version ${r.repoVersion}; ${counted(r.packages, 'package')}, ${counted(r.blobs, 'blob')}: ${formatBytes(r.bytesBefore)} in blob files → ${formatBytes(r.bytesAfter)} in a pack and records; ${r.removed} format ${r.from} files removed`;

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(
    repo
      .command('upgrade')
      .description("convert a repository of an older format into this zpkg's (format 3: packs), in place; readers see the old repository or the new one")
      .argument('<dir>', 'repository directory or URL'),
  ).action(async (dir: string, opts: SigningOpts, cmd: Command) => {
    const { openRepoWriter } = await import('../../repo/open.js');
    const { upgradeRepo } = await import('../../repo/upgrade.js');
    const report = ctx.report(cmd);
    const progress = report.progress('blobs', 0);
    const r = await upgradeRepo(openRepoWriter(dir), { signer: await signerFrom(opts), onBlob: (n) => progress.tick(1, n) });
    progress.done();
    report.result(r, render);
  });
}
