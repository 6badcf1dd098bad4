/**
 * `zpkg build SRC_DIR... [--repo DIR]` and `zpkg build --all RECIPES_DIR [--repo DIR]`:
 * build what is not up to date, publish it together; `--all` keeps going past
 * a failing recipe and ends with the repository's consistency check.
 */
import type { Command } from 'commander';
import type { BuildRunResult } from '../../build/build-all.js';
import { ZpkgError } from '../../core/errors.js';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

interface BuildOpts extends SigningOpts {
  all?: string;
  repo?: string;
  replace?: boolean;
  force?: boolean;
  check: boolean;
  level: string;
  sourceCache?: string;
  token?: string;
}

function render(r: BuildRunResult, repo: string | undefined): string {
  const out: string[] = [];
  for (const b of r.built) {
    const where = b.status ? `${b.status} in ${repo}` : 'not published: no --repo';
    out.push(`built       ${b.name} ${b.version} — ${counted(b.files, 'file')}, ${formatBytes(b.bytes)}, ${where}, manifest ${b.manifest}`);
  }
  if (r.scattered?.length) {
    const which = r.scattered.map((p) => `${p.name} ${p.version} lies in ${p.packs} packs`).join(', ');
    out.push(`            hint: ${which} (each publish packs only what changed; a fresh install asks for every pack): \`zpkg repo repack ${repo}\` gathers them`);
  }
  for (const u of r.upToDate) out.push(`up to date  ${u.name} ${u.version}`);
  for (const f of r.failed) {
    out.push(`failed      ${f.name ?? f.dir}: ${f.error.message}`);
    for (const line of f.error.tail ?? []) out.push(`              ${line}`);
    if (f.error.hint) out.push(`            hint: ${f.error.hint}`);
  }
  if (r.check) {
    for (const u of r.check.uninstallable) {
      out.push(`cannot install ${u.name} ${u.version}${u.builtNow ? ' (built now)' : ''}:`);
      for (const line of u.reason) out.push(`  ${line}`);
    }
    const verdict = r.check.uninstallable.length ? `${r.check.uninstallable.length} cannot be installed` : 'all installable';
    out.push(`check: ${counted(r.check.packages, 'package')}, ${verdict}`);
  }
  out.push(`${r.built.length} built, ${r.upToDate.length} up to date, ${r.failed.length} failed`);
  return out.join('\n');
}

export function register(program: Command, ctx: Context): void {
  withSigningOptions(program
    .command('build')
    .description('build packages from recipes (SRC_DIR/zpkg.yaml), skipping those up to date, and publish them to a repository')
    .argument('[src...]', 'recipe directories')
    .option('--all <recipes-dir>', 'build every recipe under this directory; a failing recipe does not stop the others; ends with the consistency check')
    .option('--repo <url>', 'repository to publish into: a directory, s3://… or a depot http(s)://… (without it: build and check only, nothing is written)')
    .option('--token <token>', 'bearer token when --repo is a depot (default: $ZPKG_TOKEN)')
    .option('--replace', 'replace an already published package of the same name and version')
    .option('--force', 'build recipes even when they are up to date')
    .option('--no-check', 'with --all: skip the consistency check')
    .option('--level <n>', 'zstd compression level (1–19)', '3')
    .option('--source-cache <dir>', 'download cache for URL sources (default: $ZPKG_SOURCE_CACHE or $XDG_CACHE_HOME/zpkg/sources)'))
    .action(async (srcs: string[], opts: BuildOpts, cmd: Command) => {
      if (opts.all !== undefined && srcs.length > 0) throw new ZpkgError('E_USAGE', 'give recipe directories or --all RECIPES_DIR, not both');
      if (opts.all === undefined && srcs.length === 0) throw new ZpkgError('E_USAGE', 'name recipe directories, or --all RECIPES_DIR');
      const { findRecipes, runBuilds } = await import('../../build/build-all.js');
      const { defaultSourceCache } = await import('../../build/sources.js');
      const report = ctx.report(cmd);
      const all = opts.all !== undefined;
      const dirs = all ? findRecipes(opts.all!) : srcs;
      const result = await runBuilds(dirs, {
        repo: opts.repo,
        replace: opts.replace,
        force: opts.force,
        level: Number(opts.level),
        isolate: all,
        check: all && opts.check,
        sourceCache: opts.sourceCache ?? defaultSourceCache(),
        signer: opts.repo ? await signerFrom(opts) : undefined,
        token: opts.token,
        report,
      });
      report.result(result, (r) => render(r, opts.repo));
      if (result.failed.length > 0 || (result.check?.uninstallable.length ?? 0) > 0) process.exitCode = 1;
    });
}
