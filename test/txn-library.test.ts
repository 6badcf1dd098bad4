/**
 * The library API of txn/, called directly as a zos daemon would: a target
 * from the solver, `prepare` (manifests, path plan, blobs), the one dry-run
 * shape every changing command returns, and the bugs issue 11 names. Real
 * repository, real image directories, real SQLite; services through the zinit
 * model (helpers/zinit.ts) running real processes in the image.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZpkgError } from '../src/core/errors.js';
import { parseAtom } from '../src/core/relation.js';
import { manifestCachePath } from '../src/image/cache.js';
import { openImage, type Image } from '../src/image/image.js';
import { getPackage } from '../src/image/state.js';
import { StreamReport } from '../src/report/report.js';
import { fix } from '../src/txn/fix.js';
import { install } from '../src/txn/install.js';
import { prepare } from '../src/txn/prepare.js';
import { remove } from '../src/txn/remove.js';
import { rollback } from '../src/txn/rollback.js';
import { solveTarget } from '../src/txn/solve.js';
import { sync } from '../src/txn/sync.js';
import type { TransactionResult } from '../src/txn/transaction.js';
import { update } from '../src/txn/update.js';
import { addMainRemote, publishLifecycle, writeImageConfig, type LifecyclePackage } from './helpers/lifecycle.js';
import { makeInitramfs, ZinitProcess } from './helpers/zinit.js';
import { ok, snapshot, tempDir, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-txn-library-');
const repo = join(work, 'repo');
const hookLog = join(work, 'hooks.log');
let serial = 0;

/** Hooks for every phase that append `PHASE PACKAGE OLD NEW` to the log. */
function loggingHooks(failing: string[] = []): LifecyclePackage['hooks'] {
  const phases = ['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade', 'pre-remove', 'post-remove'] as const;
  return Object.fromEntries(phases.map((p) => [p, `echo "$ZPKG_PHASE $ZPKG_PACKAGE $ZPKG_OLD_VERSION $ZPKG_NEW_VERSION" >> ${hookLog}\n${failing.includes(p) ? 'exit 1\n' : ''}`]));
}

function hooksRun(): string[] {
  return existsSync(hookLog) ? readFileSync(hookLog, 'utf8').trim().split('\n').filter(Boolean) : [];
}

const PACKAGES: LifecyclePackage[] = [
  { name: 'lib', version: '1', files: { 'usr/lib/liblib.so.1': 'lib one' } },
  { name: 'lib', version: '2', files: { 'usr/lib/liblib.so.1': 'lib two' } },
  { name: 'app', version: '1', depends: ['lib (>= 1)'], files: { 'usr/bin/app': 'app one', 'usr/share/app/data': 'data' } },
  { name: 'app', version: '2', depends: ['lib (>= 2)'], files: { 'usr/bin/app': 'app two', 'usr/share/app/data': 'data' } },
  { name: 'svc', version: '1', files: { 'usr/bin/svc': 'svc one' }, services: [{ name: 'svc', restart: 'on-upgrade' }], hooks: loggingHooks() },
  { name: 'svc', version: '2', files: { 'usr/bin/svc': 'svc two' }, services: [{ name: 'svc', restart: 'on-upgrade' }], hooks: loggingHooks() },
  { name: 'clash', version: '1', files: { 'usr/bin/svc': 'not svc' } },
  { name: 'flaky', version: '1', files: { 'usr/bin/flaky': 'flaky' }, hooks: { 'post-install': 'exit 1' } },
  { name: 'late', version: '1', files: { 'usr/bin/late': 'late' }, hooks: { 'post-install': 'exit 1' } },
  { name: 'rel', version: '1', depends: ['app (= 1)', 'lib (= 1)'] },
  { name: 'rel', version: '2', depends: ['app (= 2)', 'lib (= 2)'] },
];

/** A silent report whose warnings are kept. */
function quietReport(): { report: StreamReport; warnings: () => string } {
  const err = new PassThrough();
  let text = '';
  err.on('data', (c: Buffer) => (text += c.toString()));
  return { report: new StreamReport({ json: true, quiet: true, stdout: new PassThrough(), stderr: err }), warnings: () => text };
}

/** A fresh image using the shared repository, hooks run on the host. */
function freshImage(config = 'hooks:\n  mode: host\n'): { root: string; image: Image } {
  const root = join(work, `image-${++serial}`);
  writeImageConfig(root, config);
  addMainRemote(root, repo);
  return { root, image: openImage(root, { create: true }) };
}

const opts = (extra: Record<string, unknown> = {}) => ({ report: quietReport().report, command: 'zpkg (library test)', ...extra });
const atoms = (...specs: string[]) => specs.map((s) => parseAtom(s));
/** SQLite's shared-memory index changes on every read; it holds no state. */
const shm = (rel: string): boolean => rel.endsWith('.db-shm');

beforeAll(async () => {
  await publishLifecycle(repo, work, PACKAGES);
});

describe('prepare', () => {
  it('fetches the manifests, plans every path, then makes every blob local under the content cache — nothing in the image changes yet', async () => {
    const { root, image } = freshImage();
    const target = await solveTarget(image, { install: atoms('app (= 1)') }, {}, 'test');
    expect(target.land.map((l) => `${l.name} ${l.version}`)).toEqual(['lib 2', 'app 1']);
    const before = snapshot(root, (r) => r.startsWith('var/lib/zpkg'));
    const prepared = await prepare(image, target, { report: quietReport().report });
    expect(prepared.packages.map((p) => p.manifest.name)).toEqual(['lib', 'app']);
    expect(prepared.changeset.put.map((p) => p.action.path).sort()).toEqual(['usr/bin/app', 'usr/lib/liblib.so.1', 'usr/share/app/data']);
    expect(prepared.fetched).toMatchObject({ blobs: 3, fetched: 3 });
    for (const p of prepared.packages) {
      expect(existsSync(manifestCachePath(image.paths.cache, p.digest))).toBe(true);
      for (const a of p.manifest.actions) {
        if (a.type !== 'file') continue;
        // In a pack fetch left under the cache's tmp/: it enters the cache proper once staging has checked it.
        const src = prepared.changeset.content!.sources.get(a.digest)!;
        expect(src.file.startsWith(join(image.paths.cache, 'tmp/'))).toBe(true);
        expect(existsSync(src.file)).toBe(true);
      }
    }
    expect(Object.keys(prepared.seconds).sort()).toEqual(['fetch', 'manifests', 'plan']);
    expect(snapshot(root, (r) => r.startsWith('var/lib/zpkg'))).toEqual(before);
    image.close();
  });

  it('a dry run reads and plans but writes nothing into the image, not even its cache', async () => {
    const { root, image } = freshImage();
    const target = await solveTarget(image, { install: atoms('app') }, {}, 'test');
    const before = snapshot(root, shm);
    const prepared = await prepare(image, target, { report: quietReport().report, dryRun: true });
    expect(prepared.changeset.put).toHaveLength(3);
    expect(prepared.fetched).toMatchObject({ blobs: 3, fetched: 3, bytes: 0 });
    expect(snapshot(root, shm)).toEqual(before);
    expect(existsSync(join(image.paths.cache, 'blobs'))).toBe(false);
    image.close();
  });

  it('a path conflict is refused before a single blob is fetched', async () => {
    const { image } = freshImage();
    await install(image, atoms('svc'), opts());
    // Blobs and packs, cached or fetched (manifests and blob maps are read to plan the paths).
    const content = (): string[] => (readdirSync(image.paths.cache, { recursive: true }) as string[]).filter((p) => !/^(manifests|maps)\b/.test(p)).sort();
    const cached = content();
    const target = await solveTarget(image, { install: atoms('clash') }, {}, 'test');
    await expect(prepare(image, target, { report: quietReport().report })).rejects.toMatchObject({ code: 'E_FILE_CONFLICT' });
    expect(content()).toEqual(cached);
    image.close();
  });
});

describe('one dry-run shape for every changing command', () => {
  const KEYS = ['accounts', 'adopted', 'downgrade', 'dryRun', 'fetched', 'files', 'id', 'install', 'keptConfig', 'keptDirs', 'markedManual', 'newConfig', 'remove', 'removedDirs', 'seconds', 'takenOver', 'upgrade', 'warnings', 'withoutManifest'];
  const SECONDS = ['apply', 'commit', 'fetch', 'manifests', 'plan', 'post', 'pre', 'solve', 'stage'];
  let sim: ZinitProcess;
  let root: string;
  let image: Image;
  let mark = 0;

  beforeAll(async () => {
    ({ root, image } = freshImage(`hooks:\n  mode: host\nservices:\n  manager: zinit\n  zinit-socket: ${join(work, 'dry-zinit.sock')}\n  timeout: 30\n`));
    makeInitramfs(root);
    // svc's service file is the base's (zinit reads it when zpkg starts svc).
    writeFileSync(join(root, 'etc/zinit/svc.yaml'), 'exec: sleep 1000\n');
    sim = await ZinitProcess.start(root, work, 'dry-zinit');
    await install(image, atoms('svc (= 1)', 'app (= 1)', 'lib (= 1)'), opts());
    // svc's file is damaged, for fix.
    writeFileSync(join(root, 'usr/bin/svc'), 'damaged');
    rmSync(hookLog, { force: true });
    mark = sim.commands().length;
  });
  afterAll(async () => {
    await sim.stop();
    image.close();
  });

  const dry = opts({ dryRun: true });
  const shape = (r: TransactionResult): void => {
    expect(r.dryRun).toBe(true);
    expect(r.id).toBeNull();
    // Every key of the shape; beyond it only what a command adds of its own (rollback's generation, fix's findings and the manifests it put back, remove's unneeded).
    expect(Object.keys(r).filter((k) => !['lifecycle', 'generation', 'repaired', 'unrepaired', 'manifests', 'unneeded'].includes(k)).sort()).toEqual(KEYS);
    expect(Object.keys(r.seconds).sort()).toEqual(SECONDS);
  };

  it('install, remove, update, sync, rollback and fix all answer the same shape, and nothing changes', async () => {
    const before = snapshot(root, shm);
    const results = {
      install: await install(image, atoms('flaky'), dry),
      remove: await remove(image, ['svc'], dry),
      update: await update(image, [], dry),
      sync: await sync(image, { set: 'rel=2' }, dry),
      rollback: await rollback(image, 0, dry),
      fix: await fix(image, [], dry),
    };
    for (const r of Object.values(results)) shape(r);
    expect(snapshot(root, shm)).toEqual(before);
    expect(hooksRun()).toEqual([]);
    expect(sim.actions(mark)).toEqual([]);

    // Each says what would go, which paths, which hooks and which service operations.
    expect(results.remove.remove).toEqual([{ name: 'svc', version: '1' }]);
    expect(results.remove.files.removed).toBe(1);
    expect(results.remove.lifecycle?.hooks.map((h) => `${h.phase} ${h.status}`)).toEqual(['pre-remove planned', 'post-remove planned']);
    expect(results.remove.lifecycle?.services.map((s) => `${s.action} ${s.name} ${s.status}`)).toEqual(['stop svc planned', 'forget svc planned']);
    expect(results.update.upgrade.map((u) => `${u.name} ${u.from}→${u.to}`).sort()).toEqual(['app 1→2', 'lib 1→2', 'svc 1→2']);
    expect(results.update.lifecycle?.hooks.map((h) => `${h.phase} ${h.package} ${h.detail}`)).toEqual(['pre-upgrade svc 1 → 2', 'post-upgrade svc 1 → 2']);
    expect(results.update.lifecycle?.services.map((s) => `${s.action} ${s.name}`)).toEqual(['stop svc', 'start svc']);
    // The directory repository's pack (one publish: every version) was hard-linked whole at install: nothing left to fetch.
    expect(results.update.fetched.fetched).toBe(0);
    // Three changed files and two hooks; app's unchanged data file stays in place and needs no blob.
    expect(results.update.fetched.blobs).toBe(4);
    expect(results.update.files.inPlace).toBe(1);
    expect(results.sync.remove.map((p) => p.name)).toEqual(['svc']);
    expect(results.sync.install).toEqual([{ name: 'rel', version: '2' }]);
    expect(results.rollback.remove.map((p) => p.name).sort()).toEqual(['app', 'lib', 'svc']);
    expect(results.rollback.files.removed).toBe(4);
    expect(results.fix.repaired.map((p) => p.path)).toEqual(['usr/bin/svc']);
    expect(results.fix.manifests).toEqual([]);
    expect(results.fix.files.written).toBe(1);
    expect(results.fix.lifecycle?.hooks).toEqual([]);
  });
});

describe('bugs of issue 11', () => {
  it('history text shows every kind of change, downgrades included', async () => {
    const { root, image } = freshImage();
    await install(image, atoms('app (= 2)'), opts());
    image.close();
    ok(['--root', root, 'rollback', '0']);
    ok(['--root', root, 'install', 'app=1', 'lib=1']);
    ok(['--root', root, 'install', 'app=2', 'lib=2']);
    ok(['--root', root, 'rollback', '3']);
    const text = ok(['--root', root, 'history']).stdout;
    expect(text).toContain('vapp 2→1');
    expect(text).toContain('vlib 2→1');
    const json = ok(['--root', root, '--json', 'history']).json.transactions.at(-1).changes;
    expect(json.downgrade.map((d: { name: string }) => d.name).sort()).toEqual(['app', 'lib']);
  });

  it('rollback counts generations committed with errors: the default is the one before the current', async () => {
    const { root, image } = freshImage();
    const flaky = await install(image, atoms('flaky'), opts());
    expect(flaky.lifecycle?.errors).toBe(1);
    await install(image, atoms('app'), opts());
    await install(image, atoms('late'), opts());
    const statuses = ok(['--root', root, '--json', 'history']).json.transactions.map((t: { id: number; status: string }) => `${t.id} ${t.status}`);
    expect(statuses).toEqual(['1 committed-with-errors', '2 committed', '3 committed-with-errors']);
    const back = await rollback(image, undefined, opts({ dryRun: true }));
    expect(back.generation).toBe(2);
    expect(back.remove).toEqual([{ name: 'late', version: '1' }]);
    const one = await rollback(image, 1, opts());
    expect(one.generation).toBe(1);
    expect(ok(['--root', root, '--json', 'list']).json.packages.map((p: { name: string }) => p.name)).toEqual(['flaky']);
    await expect(rollback(image, 99, opts())).rejects.toMatchObject({ code: 'E_GENERATION_UNKNOWN' });
    image.close();
  });

  it('sync --set NAME=VERSION and NAME@VERSION take that version of the set, not the newest', () => {
    const { root, image } = freshImage();
    image.close();
    const one = ok(['--root', root, '--json', 'sync', '--set', 'rel=1']).json;
    expect(one.install.map((p: { name: string; version: string }) => `${p.name} ${p.version}`).sort()).toEqual(['app 1', 'lib 1', 'rel 1']);
    const two = ok(['--root', root, '--json', 'sync', '--set', 'rel@2']).json;
    expect(two.upgrade.map((p: { name: string; to: string }) => `${p.name} ${p.to}`).sort()).toEqual(['app 2', 'lib 2', 'rel 2']);
    const newest = ok(['--root', root, '--json', 'sync', '-n', '--set', 'rel']).json;
    expect(newest.install).toEqual([]);
    const missing = zpkg(['--root', root, '--json', 'sync', '--set', 'rel=7']);
    expect(missing.status).toBe(1);
    expect(missing.json.error.code).toBe('E_VERSION_UNKNOWN');
  });
});

describe('fix in a zos-like image with zinit services', () => {
  const zos = join(work, 'zos');
  const zrepo = join(zos, 'repo');
  const log = join(zos, 'hooks.log');
  let sim: ZinitProcess;
  const root = join(zos, 'image');
  let image: Image;
  let mark = 0;
  const commands = (): string[] => sim.actions(mark);
  const daemon = (name: string) => ({ content: `#!/bin/sh\n# ${name}\nexec sleep 1000\n`, mode: 0o755 });
  const hooks = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) : []);

  beforeAll(async () => {
    mkdirSync(zos, { recursive: true });
    makeInitramfs(root);
    sim = await ZinitProcess.start(root, zos);
    const every = (failing: string[]) =>
      Object.fromEntries(['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade', 'pre-remove', 'post-remove'].map((p) => [p, `echo "$ZPKG_PHASE $ZPKG_OLD_VERSION $ZPKG_NEW_VERSION" >> ${log}\n${failing.includes(p) ? 'exit 1\n' : ''}`]));
    await publishLifecycle(zrepo, zos, [
      { name: 'noded', version: '1.0-1', files: { 'etc/zinit/noded.yaml': 'exec: /usr/bin/noded\n', 'usr/bin/noded': daemon('noded') }, services: [{ name: 'noded', restart: 'on-upgrade' }] },
      // Its post-install fails: the package is "not fully set up", which fix must not take for damage.
      { name: 'storaged', version: '1.0-1', files: { 'etc/zinit/storaged.yaml': 'exec: /usr/bin/storaged\n', 'usr/bin/storaged': daemon('storaged') }, services: [{ name: 'storaged', restart: 'on-upgrade' }], hooks: every(['post-install']) },
    ]);
    writeImageConfig(root, `hooks:\n  mode: host\nservices:\n  manager: zinit\n  zinit-socket: ${sim.socket}\n  timeout: 30\n`);
    addMainRemote(root, zrepo);
    image = openImage(root, { create: true });
    const r = await install(image, atoms('noded', 'storaged'), opts());
    expect(r.lifecycle?.errors).toBe(1);
    expect(getPackage(image.db, 'storaged')?.problem).toMatch(/post-install/);
    expect(hooks()).toEqual(['pre-install  1.0-1', 'post-install  1.0-1']);
  });
  afterAll(async () => {
    await sim.stop();
    image.close();
  });

  it('with no file damaged it runs no hook and touches no service; the failed setup is reported, not "repaired"', async () => {
    mark = sim.commands().length;
    const r = await fix(image, ['noded', 'storaged'], opts());
    expect(r.repaired).toEqual([]);
    expect(r.unrepaired).toEqual([expect.objectContaining({ kind: 'setup', package: 'storaged' })]);
    expect(r.id).toBeNull();
    expect(hooks()).toHaveLength(2);
    expect(commands()).toEqual([]);
    expect(getPackage(image.db, 'storaged')?.problem).toMatch(/post-install/);
  });

  it('a damaged binary is rewritten with no hook and no service operation', async () => {
    writeFileSync(join(root, 'usr/bin/storaged'), '#!/bin/sh\ntampered\n');
    mark = sim.commands().length;
    const r = await fix(image, [], opts());
    expect(r.repaired.map((p) => p.path)).toEqual(['usr/bin/storaged']);
    expect(readFileSync(join(root, 'usr/bin/storaged'), 'utf8')).toBe(daemon('storaged').content);
    expect(r.lifecycle?.hooks).toEqual([]);
    expect(commands()).toEqual([]);
    expect(hooks()).toHaveLength(2);
    // A repair leaves the package as installed: its setup problem stays until it lands again.
    expect(getPackage(image.db, 'storaged')?.problem).toMatch(/post-install/);
  });

  it('a damaged zinit service file is rewritten, and only that service goes through stop, forget, monitor', async () => {
    writeFileSync(join(root, 'etc/zinit/noded.yaml'), 'exec: /bin/false\n');
    mark = sim.commands().length;
    const r = await fix(image, [], opts());
    expect(r.repaired.map((p) => p.path)).toEqual(['etc/zinit/noded.yaml']);
    expect(commands().every((l) => l.endsWith(' noded'))).toBe(true);
    expect(commands()).toContain('forget noded');
    expect(commands()).toContain('monitor noded');
    expect(hooks()).toHaveLength(2);
  });

  it('a damaged cached manifest is fetched again, then only damaged paths are written, with no hook', async () => {
    const storaged = getPackage(image.db, 'storaged')!;
    writeFileSync(manifestCachePath(image.paths.cache, storaged.manifest), '{"damaged": true}');
    mark = sim.commands().length;
    const r = await fix(image, ['storaged'], opts());
    expect(r.repaired).toEqual([]);
    expect(r.id).toBeNull();
    expect(readFileSync(manifestCachePath(image.paths.cache, storaged.manifest), 'utf8')).not.toContain('damaged');
    expect(hooks()).toHaveLength(2);
    expect(commands()).toEqual([]);
  });
});

it('errors from txn/ are typed ZpkgErrors with their own codes, never E_USAGE', async () => {
  const root = join(work, 'no-remotes');
  const image = openImage(root, { create: true });
  const err = await install(image, atoms('app'), opts()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ZpkgError);
  expect((err as ZpkgError).code).toBe('E_NO_REMOTES');
  const file = join(work, 'bad.sync');
  writeFileSync(file, 'app\n');
  await expect(sync(image, { file }, opts())).rejects.toMatchObject({ code: 'E_INPUT_INVALID' });
  await expect(sync(image, { file: join(work, 'absent.sync') }, opts())).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  image.close();
  const cli = zpkg(['--root', root, '--json', 'install', 'app']);
  expect(cli.status).toBe(1);
  expect(cli.json.error.code).toBe('E_NO_REMOTES');
});
