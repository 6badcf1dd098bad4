/**
 * `zpkg demo --zos`: examples/zos/ on a node built the way zos builds one —
 * a busybox initramfs as the root, zinit (the model of
 * scripts/zinit-model.mjs, real processes chrooted into the node) supervising
 * the services, state and cache on a "disk" outside the root — through the
 * life of a release: the base adopted, release 1 brought up with
 * `sync --boot`, an operator's config edit, release 2 (an unchanged oneshot
 * left alone, a daemon that ignores SIGTERM killed, hooks of all six phases),
 * a broken release 3 undone by `--rollback-on-failure`, a rollback to
 * release 1, a reboot (the root rebuilt, the release installed again from
 * the cache alone), and the history across it all.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ZpkgError } from '../../core/errors.js';
import type { Report } from '../../report/report.js';
import { counted } from '../../report/table.js';
import { checkoutRoot } from '../checkout.js';

/** The example node's recipes and the zinit model that serves it, in the checkout. */
const example = (): string => join(checkoutRoot(), 'examples/zos');
const model = (): string => join(checkoutRoot(), 'scripts/zinit-model.mjs');

export interface ZosDemoStep {
  step: string;
  detail: unknown;
}

/** zinit's `list`, as the node's services stand. */
async function services(socket: string): Promise<Record<string, string>> {
  const { zinitRequest } = await import('../../hooks/services/zinit.js');
  const r = await zinitRequest(socket, 'list');
  return Object.fromEntries(Object.entries((r.body ?? {}) as Record<string, string>).sort(([a], [b]) => a.localeCompare(b)));
}

function startZinit(node: string, socket: string, trace: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [model(), '--socket', socket, '--config', join(node, 'etc/zinit'), '--root', node, '--trace', trace], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready')) ok(child);
    });
    child.on('exit', (code) => fail(new ZpkgError('E_SERVICE', `the zinit model exited (${code}) before it was ready`)));
  });
}

function stopZinit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.on('exit', () => done());
    child.kill('SIGTERM');
  });
}

export async function runZosDemo(dir: string, report: Report, commandLine: string): Promise<{ dir: string; node: string; steps: ZosDemoStep[] }> {
  if (process.getuid?.() !== 0) throw new ZpkgError('E_PRIVILEGE', 'the zos demo runs its services chrooted into the node: it needs root', { hint: 'run `zpkg demo` for the demo without services' });
  for (const [tool, pkg] of [['busybox', 'busybox-static'], ['unshare', 'util-linux'], ['perl', 'perl-base']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) throw new ZpkgError('E_NOT_FOUND', `the zos demo needs \`${tool}\``, { hint: `apt-get install ${pkg}` });
  }
  const { readSigningKey, writeKeyPair } = await import('../../repo/trust/key-file.js');
  const { openRepoReader, openRepoWriter } = await import('../../repo/open.js');
  const { createRepo } = await import('../../repo/manage.js');
  const { findRecipes, runBuilds } = await import('../../build/build-all.js');
  const { describeBase } = await import('../../build/base.js');
  const { checkReleaseSet } = await import('../../repo/check-set.js');
  const { openImage } = await import('../../image/image.js');
  const { addRemote } = await import('../../image/remotes.js');
  const { listHistory, listPackages } = await import('../../image/state.js');
  const { adopt } = await import('../../txn/adopt.js');
  const { sync } = await import('../../txn/sync.js');
  const { rollback } = await import('../../txn/rollback.js');

  const base = resolve(dir);
  const src = join(base, 'src');
  const repoDir = join(base, 'repo');
  const node = join(base, 'node');
  const disk = join(base, 'disk');
  const socket = join(base, 'zinit.sock');
  const trace = join(base, 'zinit.trace');
  const steps: ZosDemoStep[] = [];
  const say = (step: string, text: string, detail: unknown = null): void => {
    steps.push({ step, detail });
    report.info(`• ${text}`);
  };
  const read = (p: string): string => (existsSync(join(node, p)) ? readFileSync(join(node, p), 'utf8') : '');
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });

  // The build host: a signed repository with every recipe of examples/zos.
  cpSync(example(), src, { recursive: true });
  const key = writeKeyPair(join(base, 'signing-key'));
  const signer = { keys: [readSigningKey(key.privateKey)] };
  await createRepo(openRepoWriter(repoDir), { signer });
  const built = await runBuilds(findRecipes(src), { repo: repoDir, signer, isolate: false, check: true, sourceCache: join(base, 'sources'), report });
  say('build', `built and published ${built.built.length} packages of examples/zos into ${repoDir}`, { built: built.built.map((b) => `${b.name} ${b.version}`), check: built.check });
  const checks = await Promise.all(['zos-release=2', 'zos-release=3'].map((s) => checkReleaseSet(openRepoReader(repoDir), s, ['zos-initramfs=3.10.0'])));
  say('repo check --set', `release sets checked on the zos-initramfs 3.10.0 base profile: ${checks.map((c) => `${c.checks[0]!.set.name} ${c.checks[0]!.set.version} ${c.checks[0]!.problems.length ? 'has problems' : 'holds together'}`).join(', ')}`, checks);

  // The node: a busybox initramfs, its zpkg configuration (state and cache on the disk), zinit.
  const makeNode = (): void => {
    rmSync(node, { recursive: true, force: true });
    const r = spawnSync('sh', [join(src, 'zos-initramfs-3.10/mkinitramfs.sh'), node], { encoding: 'utf8' });
    if (r.status !== 0) throw new ZpkgError('E_BUILD_FAILED', `mkinitramfs.sh failed: ${r.stderr}`);
    mkdirSync(join(node, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(node, 'etc/zpkg/zpkg.yaml'), `state: ${disk}/state\ncache: ${disk}/cache\nservices:\n  manager: zinit\n  zinit-socket: ${socket}\n  timeout: 10\n`);
  };
  makeNode();
  let zinit = await startZinit(node, socket, trace);
  let image = openImage(node, { create: true });
  try {
    const adopted = await adopt(image, { name: 'zos-initramfs', version: '3.10.0', paths: [], command: `${commandLine}: adopt`, report, describe: describeBase });
    say('adopt', `node ${node}: its initramfs recorded as zos-initramfs 3.10.0 (${adopted.files} files; provides ${adopted.provides.join(', ')})`, adopted);
    addRemote(image, { name: 'zos', url: repoDir, keys: [key.keyid] });

    const one = await sync(image, { set: 'zos-release=1' }, { report, command: `${commandLine}: sync --boot --set zos-release=1`, boot: true });
    say('sync --boot', `first boot: release 1 installed (${one.install.length} packages, no hooks); zinit: ${JSON.stringify(await services(socket))}`, { result: one, zinit: await services(socket) });

    appendFileSync(join(node, 'etc/noded/noded.toml'), 'farm = 42 # set by the operator\n');
    say('edit', 'the operator set farm = 42 in /etc/noded/noded.toml');

    const two = await sync(image, { set: 'zos-release=2' }, { report, command: `${commandLine}: sync --set zos-release=2` });
    const ops = two.lifecycle?.services.map((s) => `${s.action} ${s.name}`) ?? [];
    say('sync release 2', `release 2: ${two.upgrade.map((u) => `${u.name} ${u.from} → ${u.to}`).join(', ')}; services: ${ops.join(', ')}; modprobe ran ${counted(read('var/log/zos/modprobe.runs').split('\n').filter(Boolean).length, 'time')} in all; config kept: ${two.newConfig.join(', ')} (new version beside it as .zpkg-new)`, { result: two, modprobeRuns: read('var/log/zos/modprobe.runs').split('\n').filter(Boolean).length, hooksLog: read('var/log/zos/storaged-hooks.log').split('\n').filter(Boolean) });

    let refused: { code: string; message: string } | undefined;
    try {
      await sync(image, { set: 'zos-release=3' }, { report, command: `${commandLine}: sync --set zos-release=3 --rollback-on-failure`, rollbackOnFailure: true });
    } catch (err) {
      if (!(err instanceof ZpkgError) || err.code !== 'E_ROLLED_BACK') throw err;
      refused = { code: err.code, message: err.message };
    }
    const afterThree = listPackages(image.db).map((p) => `${p.name} ${p.version}`);
    say('rollback on failure', `release 3 with --rollback-on-failure: ${refused?.message ?? 'went through (unexpected)'}; the node holds ${afterThree.join(', ')}`, { error: refused, packages: afterThree, zinit: await services(socket) });

    const gen = listHistory(image.db).find((h) => h.command.includes('sync --boot --set zos-release=1'))!.id;
    const back = await rollback(image, gen, { report, command: `${commandLine}: rollback ${gen}` });
    say('rollback', `rolled back to generation ${gen} (release 1): ${back.downgrade.map((d) => `${d.name} ${d.from} → ${d.to}`).join(', ')}`, back);

    // A reboot: the root is a RAM filesystem rebuilt from the initramfs; the disk stays.
    image.close();
    await stopZinit(zinit);
    makeNode();
    zinit = await startZinit(node, socket, trace);
    image = openImage(node, { create: true });
    const rebuilt = image.rebuilt;
    await adopt(image, { name: 'zos-initramfs', version: '3.10.0', paths: [], command: `${commandLine}: adopt (after the reboot)`, report, describe: describeBase });
    const again = await sync(image, { set: 'zos-release=1' }, { report, command: `${commandLine}: sync --boot --set zos-release=1 (after the reboot)`, boot: true });
    say('reboot', `after a reboot (stale rows dropped: ${rebuilt?.packages ?? 0} packages) release 1 came back from the cache: ${again.fetched.fetched} of ${again.fetched.blobs} blobs fetched; zinit: ${JSON.stringify(await services(socket))}`, { rebuilt, result: again });

    const history = listHistory(image.db).map((h) => ({ id: h.id, status: h.status, command: h.command.replace(`${commandLine}: `, '') }));
    say('history', `history across the reboot: ${history.map((h) => `${h.id} ${h.status} (${h.command})`).join('; ')}`, history);
  } finally {
    image.close();
    await stopZinit(zinit);
  }
  return { dir: base, node, steps };
}
