/**
 * `zpkg demo`: the main job end to end on an embedded default — a repository
 * and an image under ./.zpkg-demo/, built from the packages in examples/:
 * a signing key → a signed repository → build → publish → an image trusting
 * that key → install (with dependencies) → run → verify (and catch a tampered
 * file) → remove → verify.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { parseSpec } from './spec.js';
import { counted } from '../../report/table.js';
import { checkoutRoot } from '../checkout.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('demo')
    .description('build the example packages into ./.zpkg-demo/repo, install them into ./.zpkg-demo/image, verify, remove')
    .option('--dir <dir>', 'where to put the demo repository and image (default .zpkg-demo, with --zos .zpkg-demo-zos)')
    .option('--zos', 'the zos node demo (examples/zos): a busybox initramfs, zinit, sync --boot, upgrades, --rollback-on-failure, a reboot; needs root')
    .action(async (opts: { dir?: string; zos?: boolean }, cmd: Command) => {
      if (opts.zos) {
        const { runZosDemo } = await import('./demo-zos.js');
        const report = ctx.report(cmd);
        const r = await runZosDemo(opts.dir ?? '.zpkg-demo-zos', report, 'zpkg demo --zos');
        report.result(r, () => `zos demo complete: node ${r.node} (its state and cache in ${r.dir}/disk)\ntry: npx zpkg --root ${r.node} history`);
        return;
      }
      opts.dir ??= '.zpkg-demo';
      const { buildPackage } = await import('../../build/build.js');
      const { openImage } = await import('../../image/image.js');
      const { addRemote } = await import('../../image/remotes.js');
      const { listPackages } = await import('../../image/state.js');
      const { openRepoWriter } = await import('../../repo/open.js');
      const { createRepo } = await import('../../repo/manage.js');
      const { publishPackages } = await import('../../repo/publish.js');
      const { readSigningKey, writeKeyPair } = await import('../../repo/trust/key-file.js');
      const { install } = await import('../../txn/install.js');
      const { remove } = await import('../../txn/remove.js');
      const { verifyImage } = await import('../../txn/verify.js');
      const report = ctx.report(cmd);
      const base = resolve(opts.dir!);
      const repoDir = join(base, 'repo');
      const root = join(base, 'image');
      const steps: { step: string; detail: unknown }[] = [];
      const say = (step: string, text: string, detail: unknown = null): void => {
        steps.push({ step, detail });
        report.info(`• ${text}`);
      };
      rmSync(base, { recursive: true, force: true });

      mkdirSync(base, { recursive: true });
      const key = writeKeyPair(join(base, 'signing-key'));
      say('repo keygen', `made signing key ${key.privateKey} (fingerprint ${key.keyid.slice(0, 16)}…)`, key);
      const signer = { keys: [readSigningKey(key.privateKey)] };
      const repo = openRepoWriter(repoDir);
      await createRepo(repo, { signer });
      say('repo create', `created repository ${repoDir}, its root metadata signed by that key`);
      // examples/zos is the zos demo's (recipes that build, a release history), not this one's.
      const examples = join(checkoutRoot(), 'examples');
      const sources = readdirSync(examples).sort().filter((d) => d !== 'zos').map((d) => join(examples, d));
      const built = sources.map((s) => buildPackage(s));
      const published = await publishPackages(repo, built, { signer });
      say('build', `built and published ${built.map((b) => `${b.manifest.name} ${b.manifest.version}`).join(', ')} (${counted(published.blobsWritten, 'blob')})`, published);

      const image = openImage(root, { create: true });
      try {
        addRemote(image, { name: 'demo', url: repoDir, keys: [key.keyid] });
        say('remote add', `image ${root}: remote demo → ${repoDir}, trusting only key ${key.keyid.slice(0, 16)}…`);
        const installed = await install(image, [parseSpec('hello')], { report, command: 'zpkg demo: install hello', unsafeIo: true });
        say('install', `installed ${installed.install.map((p) => `${p.name} ${p.version}`).join(', ')} — hello pulled in its dependencies`, installed);

        const run = spawnSync('sh', [join(root, 'usr/bin/hello'), 'zos'], { env: { ...process.env, ZPKG_IMAGE: root }, encoding: 'utf8' });
        say('run', `ran /usr/bin/hello from the image: ${run.stdout.trim() || run.stderr.trim()}`, { stdout: run.stdout, status: run.status });

        const clean = await verifyImage(image, []);
        say('verify', `verify: ${counted(clean.packages, 'package')}, ${counted(clean.paths, 'path')}, ${counted(clean.problems.length, 'problem')}`, clean);

        const release = join(root, 'etc/os-release');
        const original = readFileSync(release);
        writeFileSync(release, 'NAME="tampered"\n');
        const tampered = await verifyImage(image, []);
        say('tamper', `after editing /etc/os-release by hand, verify reports: ${tampered.problems.map((p) => `/${p.path}: ${p.problem}`).join('; ')}`, tampered);
        writeFileSync(release, original);

        const removed = await remove(image, ['hello', 'libgreet', 'zos-base'], { report, command: 'zpkg demo: remove', unsafeIo: true });
        const left = listPackages(image.db).length;
        say('remove', `removed ${removed.remove.map((p) => p.name).join(', ')}: ${counted(removed.files.removed, 'path')} deleted, ${counted(left, 'package')} left`, removed);
        const after = readdirSync(root).filter((e) => e !== 'var');
        say('after', `the image holds ${after.length ? after.join(', ') : 'nothing but zpkg state (var/lib/zpkg)'}`);
      } finally {
        image.close();
      }
      report.result({ repo: repoDir, image: root, steps }, () => `demo complete: repository ${repoDir}, image ${root}\ntry: npx zpkg --root ${opts.dir}/image history`);
    });
}
