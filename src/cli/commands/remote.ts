/** `zpkg remote add|list|remove`: the repositories an image installs from, and the keys it trusts for them. */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';
import { table } from '../../report/table.js';
import type { Context } from '../context.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function register(program: Command, ctx: Context): void {
  const remote = program.command('remote').description('manage the repositories an image installs from');
  remote
    .command('add')
    .description('add a remote (a directory, an archive file, http(s):// or s3://) and the key to trust for it')
    .argument('<name>', 'a short name')
    .argument('<url>', 'where the repository is')
    .option('--priority <n>', 'higher wins for the same package name', '0')
    .option('--key <key>', "the repository's public key: a .pub file, an `ed25519:…` line or its fingerprint (repeatable)", collect)
    .option('--insecure', 'trust no key: accept unsigned root metadata (digests are still checked)')
    .option('--mirror <url>', 'another URL of the same repository, tried in order when one fails (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .action(async (name: string, url: string, opts: { priority: string; key?: string[]; insecure?: boolean; mirror: string[] }, cmd: Command) => {
      const { addRemote, checkRemote } = await import('../../image/remotes.js');
      const { resolveTrustedKey } = await import('../../repo/trust/key-file.js');
      const priority = Number(opts.priority);
      if (!Number.isInteger(priority)) throw new ZpkgError('E_USAGE', `--priority \`${opts.priority}\` is not an integer`);
      if (opts.key?.length && opts.insecure) throw new ZpkgError('E_USAGE', 'a remote is added either with --key or with --insecure, not both');
      const spec = { name, url, priority, keys: (opts.key ?? []).map(resolveTrustedKey), insecure: opts.insecure, mirrors: opts.mirror };
      // Before the image is opened: a refused remote must not even create the image's state.
      checkRemote(spec);
      const r = addRemote(ctx.image(cmd, true), spec);
      const trust = opts.insecure ? 'INSECURE: signatures are not checked' : `trusting key ${spec.keys.map((k) => k.slice(0, 16)).join(', ')}`;
      ctx.report(cmd).result({ ...r, keys: spec.keys, insecure: Boolean(opts.insecure) }, (x) => `added remote ${x.name} → ${x.url} (priority ${x.priority}; ${trust})`);
    });
  remote
    .command('set')
    .description("change a remote's URL, priority or mirrors, keeping the keys trusted for it and the metadata version last accepted")
    .argument('<name>')
    .option('--url <url>', 'where the repository is now (another copy of the same repository: its signatures are still checked)')
    .option('--priority <n>', 'higher wins for the same package name')
    .option('--mirror <url>', 'the mirrors, replacing the ones kept (repeatable)', collect)
    .option('--no-mirrors', 'drop every mirror')
    .action(async (name: string, opts: { url?: string; priority?: string; mirror?: string[]; mirrors: boolean }, cmd: Command) => {
      const { setRemote } = await import('../../image/remotes.js');
      if (opts.mirror?.length && !opts.mirrors) throw new ZpkgError('E_USAGE', '--mirror and --no-mirrors go apart');
      const priority = opts.priority === undefined ? undefined : Number(opts.priority);
      if (priority !== undefined && (!/^-?\d+$/.test(opts.priority!) || !Number.isSafeInteger(priority))) throw new ZpkgError('E_USAGE', `--priority \`${opts.priority}\` is not an integer`);
      const mirrors = opts.mirrors ? opts.mirror : [];
      if (opts.url === undefined && priority === undefined && mirrors === undefined) throw new ZpkgError('E_USAGE', 'say what to change: --url, --priority, --mirror or --no-mirrors');
      const r = setRemote(ctx.image(cmd), name, { url: opts.url, priority, mirrors });
      ctx.report(cmd).result(r, (x) => `remote ${x.name} → ${x.url} (priority ${x.priority}${x.mirrors.length ? `; mirrors: ${x.mirrors.join(', ')}` : ''}); its trust is kept`);
    });
  remote
    .command('list')
    .description('list remotes, highest priority first, with the keys trusted for them')
    .action(async (_o, cmd: Command) => {
      const { remoteViews } = await import('../../image/remotes.js');
      const remotes = remoteViews(ctx.image(cmd));
      const describe = (r: (typeof remotes)[number]): string => {
        if (r.trust === 'insecure') return 'INSECURE (no key)';
        if (r.trust === 'none') return 'NO KEY (add again with --key)';
        const ids = r.keys.map((k) => k.slice(0, 16)).join(', ');
        return r.threshold ? `${r.threshold} of ${ids} (version ${r.version})` : `pinned ${ids} (not refreshed yet)`;
      };
      ctx.report(cmd).result({ remotes }, (x) =>
        x.remotes.length ? table(x.remotes.map((r) => [r.name, String(r.priority), r.mirrors.length ? `${r.url} (mirrors: ${r.mirrors.join(', ')})` : r.url, describe(r)]), ['NAME', 'PRIORITY', 'URL', 'TRUST']) : 'no remotes',
      );
    });
  remote
    .command('remove')
    .description('remove a remote, its cached catalog and the keys trusted for it')
    .argument('<name>')
    .action(async (name: string, _o, cmd: Command) => {
      const { removeRemote } = await import('../../image/remotes.js');
      const r = removeRemote(ctx.installedImage(cmd, true), name);
      ctx.report(cmd).result({ removed: r }, (x) => `removed remote ${x.removed.name}`);
    });
}
