/** `zpkg import-flist FL|URL... [--repo DIR] [--set NAME=VERSION]`: rfs flists as packages; `--list FL`: an flist's tree as `ls -l` shows it. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import type { ListedInode } from '../../flist/list.js';
import { counted, formatBytes } from '../../report/table.js';
import type { Context } from '../context.js';
import { signerFrom, withSigningOptions, type SigningOpts } from '../signing.js';

interface ImportFlistOpts extends SigningOpts {
  list?: boolean;
  repo?: string;
  name?: string;
  version?: string;
  arch?: string;
  store?: string[];
  set?: string;
  replace?: boolean;
  level?: string;
  derive?: boolean;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const TYPE_CHAR: Record<string, string> = { dir: 'd', file: '-', link: 'l', 'char-device': 'c', 'block-device': 'b', fifo: 'p', socket: 's' };

/** `drwxr-xr-x`, with setuid/setgid/sticky as ls shows them. */
function modeString(type: string, mode: number): string {
  const bits = ['r', 'w', 'x', 'r', 'w', 'x', 'r', 'w', 'x'].map((c, i) => ((mode >> (8 - i)) & 1 ? c : '-'));
  const special = (i: number, bit: number, on: string, onNoX: string): void => {
    if (mode & bit) bits[i] = bits[i] === 'x' ? on : onNoX;
  };
  special(2, 0o4000, 's', 'S');
  special(5, 0o2000, 's', 'S');
  special(8, 0o1000, 't', 'T');
  return (TYPE_CHAR[type] ?? '?') + bits.join('');
}

function lsLine(i: ListedInode, widths: { owner: number; size: number }): string {
  const date = new Date(i.mtime * 1000).toISOString().slice(0, 16).replace('T', ' ');
  const size = i.type === 'char-device' || i.type === 'block-device' ? `${Math.floor(i.rdev / 256)}, ${i.rdev % 256}` : String(i.size);
  const owner = `${i.uid} ${i.gid}`;
  return `${modeString(i.type, i.mode)} ${owner.padEnd(widths.owner)} ${size.padStart(widths.size)} ${date} ${i.path}${i.target !== undefined ? ` -> ${i.target}` : ''}`;
}

export function register(program: Command, ctx: Context): void {
  withSigningOptions(program.command('import-flist'))
    .description('turn rfs flists (.fl files or http(s) URLs) into packages and publish them; --list shows an flist\'s tree')
    .argument('<flist...>', '.fl files or http(s):// URLs')
    .option('--list', 'print the tree as `ls -l` would (--json: every inode with its blocks), fetch and publish nothing')
    .option('--repo <dir>', 'repository to publish into (without it: fetch, convert and check only)')
    .option('--name <name>', 'package name (one flist only; default: its zpkg tag, else the file name NAME-VERSION.fl)')
    .option('--version <version>', 'package version (one flist only; same default)')
    .option('--arch <arch>', 'package arch of a plain flist', 'all')
    .option('--store <url>', "read blocks from this store instead of the flist's routes: [XX-YY=]dir:///…, http(s)://…, s3://…, zdb://… (repeatable)", collect)
    .option('--set <name=version>', 'also publish a release set pinning every imported package (a hub tag), for `zpkg sync --set`')
    .option('--replace', 'replace an already published package of the same name and version')
    .option('--level <n>', 'zstd compression level (1–19)', '3')
    .option('--no-derive', 'do not add so:/file: relations derived from ELF files and scripts')
    .action(async (flists: string[], opts: ImportFlistOpts, cmd: Command) => {
      const report = ctx.report(cmd);
      if (opts.list) {
        if (flists.length !== 1) throw new ZpkgError('E_USAGE', '--list shows one flist at a time');
        const { listFlist } = await import('../../flist/list.js');
        const listing = await listFlist(flists[0]!);
        report.result(listing, (l) => {
          const widths = {
            owner: Math.max(...l.inodes.map((i) => `${i.uid} ${i.gid}`.length)),
            size: Math.max(...l.inodes.map((i) => String(i.size).length)),
          };
          const head = [
            ...l.routes.map((r) => `route ${r.start.toString(16).padStart(2, '0')}-${r.end.toString(16).padStart(2, '0')} ${r.url}`),
            ...Object.entries(l.tags).map(([k, v]) => `tag ${k} = ${v.length > 80 ? `${v.slice(0, 77)}...` : v}`),
          ];
          return [...head, ...l.inodes.map((i) => lsLine(i, widths))].join('\n');
        });
        return;
      }
      const level = Number(opts.level);
      if (!Number.isInteger(level) || level < 1 || level > 19) throw new ZpkgError('E_USAGE', `--level \`${opts.level}\` is not a zstd level from 1 to 19`);
      if (flists.length > 1 && (opts.name !== undefined || opts.version !== undefined)) {
        throw new ZpkgError('E_USAGE', '--name and --version name one package: give them with one flist only');
      }
      const { importFlists } = await import('../../flist/import.js');
      const { openRepoWriter } = await import('../../repo/open.js');
      const result = await importFlists(flists, {
        repo: opts.repo ? openRepoWriter(opts.repo) : undefined,
        signer: opts.repo ? await signerFrom(opts) : undefined,
        replace: opts.replace,
        level,
        name: opts.name,
        version: opts.version,
        arch: opts.arch,
        derive: opts.derive,
        stores: opts.store,
        set: opts.set,
        report,
      });
      report.result(result, (r) =>
        [
          ...r.packages.map(
            (p) =>
              `${p.name} ${p.version}: ${p.status ? `${p.status} in ${opts.repo}` : 'converted (not published: no --repo)'} — ${counted(p.files, 'file')}, ${counted(p.blocks, 'block')}, ${formatBytes(p.bytes)}, ${p.depends.length} depends, ${p.provides.length} provides${p.fromTag ? ' (manifest from its zpkg tag)' : ''}`,
          ),
          ...(r.set ? [`release set ${r.set.name} ${r.set.version}: ${r.set.status ? `${r.set.status} in ${opts.repo}` : 'made (not published: no --repo)'} — pins ${r.set.depends.join(', ')}`] : []),
        ].join('\n'),
      );
    });
}
