/** `zpkg repo import-index PACKAGES_FILE --repo DIR`: a Debian index as a catalog-only repository. */
import type { Command } from 'commander';
import type { ImportIndexResult } from '../../repo/import-index.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

const n = (x: number): string => x.toLocaleString('en-US');

function render(r: ImportIndexResult): string {
  const lines = [
    `imported ${n(r.packages)} packages from ${r.index} into ${r.repository} (catalog only, version ${r.version}${r.replaced ? `, replacing a catalog of ${n(r.replaced.packages)} packages` : ''})`,
    `  ${n(r.dependencyClauses)} dependency clauses (Depends + Pre-Depends), ${n(r.provides)} provides, ${n(r.conflicts)} conflicts (Conflicts + Breaks)`,
    `  ${n(r.skipped.length)} stanzas skipped${r.skipped.length ? ' (reasons with --json)' : ''}`,
  ];
  for (const s of r.skipped.slice(0, 3)) lines.push(`    ${s.package}: ${s.reason}`);
  if (r.skipped.length > 3) lines.push(`    … and ${n(r.skipped.length - 3)} more`);
  lines.push(`  ${r.seconds.total.toFixed(2)} s (read ${r.seconds.read.toFixed(2)} s, write ${r.seconds.write.toFixed(2)} s)`);
  return lines.join('\n');
}

export function register(repo: Command, ctx: Context): void {
  withSigningOptions(repo
    .command('import-index')
    .description('import a Debian Packages index as the catalog of a catalog-only repository (no manifests, no blobs)')
    .argument('<packages-file>', 'Debian Packages index: plain, .lz4, .gz or .zst')
    .requiredOption('--repo <dir>', 'repository directory: new, empty, or an existing repository whose catalog is replaced'))
    .action(async (index: string, o: SigningOpts & { repo: string }, cmd: Command) => {
      const { importIndexToRepo } = await import('../../repo/import-index.js');
      const result = await importIndexToRepo({ index, repo: o.repo, signer: await signerFrom(o) });
      ctx.report(cmd).result(result, render);
    });
}
