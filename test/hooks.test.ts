/**
 * Package hooks inside real transactions on real image directories: every
 * phase, the environment contract, the order across a multi-package
 * transaction, timeouts, each kind of failure and the image state it leaves,
 * --no-scripts, boot mode, chroot and host modes, output into history.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { addMainRemote, publishLifecycle, writeImageConfig, type LifecyclePackage } from './helpers/lifecycle.js';
import { alive } from './helpers/process.js';
import { ok, snapshot, tempDir, writePackage as writePackageWith, zpkg } from './helpers/zpkg.js';

/** A hook that appends one line describing itself to $ZPKG_ROOT/hooks.log. */
const LOG = (tag: string): string =>
  `echo "${tag} phase=$ZPKG_PHASE pkg=$ZPKG_PACKAGE v=$ZPKG_VERSION old=$ZPKG_OLD_VERSION new=$ZPKG_NEW_VERSION tx=$ZPKG_TRANSACTION root=$ZPKG_ROOT cwd=$(pwd) bin=$(cat "$ZPKG_ROOT/usr/bin/${tag}" 2>/dev/null || echo absent)" >> "$ZPKG_ROOT/hooks.log"\n`;

function logged(pkg: string, version: string, depends: string[] = []): LifecyclePackage {
  return {
    name: pkg,
    version,
    depends,
    files: { [`usr/bin/${pkg}`]: `${pkg} ${version}` },
    hooks: Object.fromEntries(['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade', 'pre-remove', 'post-remove'].map((p) => [p, LOG(pkg)])),
  };
}

interface Line {
  tag: string;
  phase: string;
  pkg: string;
  v: string;
  old: string;
  new: string;
  tx: string;
  root: string;
  cwd: string;
  bin: string;
}

function readLog(image: string): Line[] {
  const path = join(image, 'hooks.log');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [tag, ...rest] = line.split(' ');
      const fields = Object.fromEntries(rest.join(' ').split(/ (?=[a-z]+=)/).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return { tag, ...fields } as Line;
    });
}

let work: string;
let repo: string;
let image: string;

beforeEach(() => {
  work = tempDir('zpkg-hooks-');
  repo = join(work, 'repo');
  image = join(work, 'image');
  mkdirSync(image);
});

/** The image without zpkg's state directory and the hooks' own log. */
const tree = (): string[] => snapshot(image, (rel) => rel.startsWith('var/lib/zpkg') || rel === 'hooks.log');

describe('phases and the environment contract (host mode)', () => {
  it('install, upgrade and remove run the documented phases with ZPKG_* set', async () => {
    await publishLifecycle(repo, work, [logged('foo', '1.0'), logged('foo', '2.0')]);
    addMainRemote(image, repo);
    const abs = realpathSync(image);

    ok(['--root', image, 'install', '--hooks=host', 'foo=1.0']);
    ok(['--root', image, 'install', '--hooks=host', 'foo=2.0']);
    ok(['--root', image, 'remove', '--hooks=host', 'foo']);
    const log = readLog(image);
    expect(log.map((l) => `${l.phase} ${l.v} old=${l.old} new=${l.new} bin=${l.bin}`)).toEqual([
      'pre-install 1.0 old= new=1.0 bin=absent',
      'post-install 1.0 old= new=1.0 bin=foo 1.0',
      'pre-upgrade 2.0 old=1.0 new=2.0 bin=foo 1.0',
      'post-upgrade 2.0 old=1.0 new=2.0 bin=foo 2.0',
      'pre-remove 2.0 old=2.0 new= bin=foo 2.0',
      'post-remove 2.0 old=2.0 new= bin=absent',
    ]);
    for (const l of log) {
      expect(l.pkg).toBe('foo');
      expect(l.root).toBe(abs);
      expect(l.cwd).toBe(abs);
      expect(l.tx).toMatch(/^[0-9a-f]{12}$/);
    }
    // One transaction id per transaction, shared by its pre and post hooks.
    expect(new Set(log.map((l) => l.tx)).size).toBe(3);
    expect(log[0]!.tx).toBe(log[1]!.tx);
    expect(log[2]!.tx).toBe(log[3]!.tx);
    // Hooks of packages no longer installed leave the hook store.
    expect(readdirSafe(join(image, 'var/lib/zpkg/hooks'))).toEqual([]);
  });

  it('hook output is shown live and kept in the history with the hook outcome', async () => {
    await publishLifecycle(repo, work, [{ name: 'chatty', version: '1', files: { 'etc/chatty': 'x' }, hooks: { 'post-install': 'echo to-stdout\necho to-stderr >&2\n' } }]);
    addMainRemote(image, repo);
    const r = ok(['--root', image, 'install', '--hooks=host', 'chatty']);
    expect(r.stderr).toContain('chatty post-install: to-stdout');
    expect(r.stderr).toContain('chatty post-install: to-stderr');
    const h = ok(['--root', image, '--json', 'history', '1']).json;
    expect(h.status).toBe('committed');
    expect(h.lifecycle).toHaveLength(1);
    expect(h.lifecycle[0]).toMatchObject({ kind: 'hook', package: 'chatty', action: 'post-install', status: 'ok', detail: 'exit 0' });
    expect(h.lifecycle[0].output).toBe('to-stdout\nto-stderr\n');
    expect(ok(['--root', image, 'history', '1']).stdout).toContain('  | to-stderr');
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

describe('order across a multi-package transaction', () => {
  it('pre-hooks of all packages in dependency order before any file changes, post-hooks after the commit; removals reversed', async () => {
    await publishLifecycle(repo, work, [logged('app', '1', ['mid']), logged('mid', '1', ['base']), logged('base', '1')]);
    addMainRemote(image, repo);
    ok(['--root', image, 'install', '--hooks=host', 'app']);
    const install = readLog(image).map((l) => `${l.phase} ${l.pkg} ${l.bin === 'absent' ? 'before' : 'after'}`);
    expect(install).toEqual(['pre-install base before', 'pre-install mid before', 'pre-install app before', 'post-install base after', 'post-install mid after', 'post-install app after']);
    rmSync(join(image, 'hooks.log'));
    ok(['--root', image, 'remove', '--hooks=host', 'app', 'mid', 'base']);
    const remove = readLog(image).map((l) => `${l.phase} ${l.pkg} ${l.bin === 'absent' ? 'gone' : 'present'}`);
    expect(remove).toEqual(['pre-remove app present', 'pre-remove mid present', 'pre-remove base present', 'post-remove app gone', 'post-remove mid gone', 'post-remove base gone']);
  });
});

describe('failures', () => {
  it('a failing pre-install hook aborts: exit 1, E_HOOK_FAILED with its output, image unchanged', async () => {
    await publishLifecycle(repo, work, [{ name: 'bad', version: '1', files: { 'usr/bin/bad': 'x' }, hooks: { 'pre-install': 'echo refusing to install\nexit 3\n' } }]);
    addMainRemote(image, repo);
    const before = tree();
    const r = zpkg(['--root', image, '--json', 'install', '--hooks=host', 'bad']);
    expect(r.status).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('E_HOOK_FAILED');
    expect(err.message).toContain('pre-install hook of bad 1 failed (exit 3)');
    expect(err.output).toBe('refusing to install\n');
    expect(tree()).toEqual(before);
    expect(ok(['--root', image, '--json', 'list']).json.packages).toHaveLength(0);
    expect(ok(['--root', image, '--json', 'history']).json.transactions).toHaveLength(0);
    expect(readdirSafe(join(image, 'var/lib/zpkg/hooks'))).toEqual([]);
  });

  it('a failing pre-upgrade hook keeps the old version; a failing pre-remove keeps the package', async () => {
    await publishLifecycle(repo, work, [
      { name: 'svc', version: '1', files: { 'usr/bin/svc': 'one' }, hooks: { 'pre-remove': 'exit 4' } },
      { name: 'svc', version: '2', files: { 'usr/bin/svc': 'two' }, hooks: { 'pre-upgrade': 'echo "no upgrade from $ZPKG_OLD_VERSION"; exit 5' } },
    ]);
    addMainRemote(image, repo);
    ok(['--root', image, 'install', '--hooks=host', 'svc=1']);
    const before = tree();
    const up = zpkg(['--root', image, 'install', '--hooks=host', 'svc=2']);
    expect(up.status).toBe(1);
    expect(up.stderr).toContain('error: the pre-upgrade hook of svc 2 failed (exit 5); nothing was changed');
    expect(up.stderr).toContain('no upgrade from 1');
    expect(tree()).toEqual(before);
    expect(readFileSync(join(image, 'usr/bin/svc'), 'utf8')).toBe('one');
    const rm = zpkg(['--root', image, 'remove', '--hooks=host', 'svc']);
    expect(rm.status).toBe(1);
    expect(rm.stderr).toContain('pre-remove hook of svc 1 failed (exit 4)');
    expect(tree()).toEqual(before);
    expect(ok(['--root', image, 'verify']).status).toBe(0);
    // The pre-remove hook is still in the store for the next attempt.
    expect(readdirSafe(join(image, 'var/lib/zpkg/hooks'))).toHaveLength(1);
  });

  it('a failing post-install hook: committed with errors, shown by history and verify, exit 1; a good upgrade clears it', async () => {
    await publishLifecycle(repo, work, [
      { name: 'half', version: '1', files: { 'usr/bin/half': 'one' }, hooks: { 'post-install': 'echo setup failed >&2; exit 7' } },
      { name: 'half', version: '2', files: { 'usr/bin/half': 'two' }, hooks: { 'post-upgrade': 'exit 0' } },
    ]);
    addMainRemote(image, repo);
    const r = zpkg(['--root', image, '--json', 'install', '--hooks=host', 'half=1']);
    expect(r.status).toBe(1);
    expect(r.json.install).toEqual([{ name: 'half', version: '1' }]);
    expect(r.json.lifecycle.errors).toBe(1);
    expect(r.json.lifecycle.hooks[0]).toMatchObject({ phase: 'post-install', status: 'failed', detail: 'exit 7', output: 'setup failed\n' });
    expect(readFileSync(join(image, 'usr/bin/half'), 'utf8')).toBe('one');
    const h = ok(['--root', image, '--json', 'history']).json.transactions;
    expect(h.at(-1).status).toBe('committed-with-errors');
    expect(ok(['--root', image, 'history']).stdout).toContain('committed-with-errors');
    const v = zpkg(['--root', image, 'verify']);
    expect(v.status).toBe(1);
    expect(v.stdout).toContain('half: not fully set up: post-install hook failed in transaction 1: exit 7');
    ok(['--root', image, 'install', '--hooks=host', 'half=2']);
    expect(ok(['--root', image, 'verify']).status).toBe(0);
  });

  it('a failing post-remove hook: the package is gone, the transaction is committed with errors', async () => {
    await publishLifecycle(repo, work, [{ name: 'gone', version: '1', files: { 'usr/bin/gone': 'x' }, hooks: { 'post-remove': 'exit 2' } }]);
    addMainRemote(image, repo);
    ok(['--root', image, 'install', '--hooks=host', 'gone']);
    const r = zpkg(['--root', image, 'remove', '--hooks=host', 'gone']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAILED: the post-remove hook of gone 1 (exit 2');
    expect(existsSync(join(image, 'usr/bin/gone'))).toBe(false);
    expect(ok(['--root', image, '--json', 'history']).json.transactions.at(-1).status).toBe('committed-with-errors');
  });

  it('a hook that outlives its timeout is killed with its children and fails the transaction', async () => {
    // The hook would run for 10 minutes: a zpkg that waited for it (or for its child)
    // instead of killing it at its timeout would not return within the minute this run
    // allows. 3 s, not 1: the hook must have written child.pid before it is killed,
    // even when a busy machine is slow to schedule it.
    await publishLifecycle(repo, work, [{ name: 'slow', version: '1', files: { 'usr/bin/slow': 'x' }, hooks: { 'pre-install': { script: 'sleep 600 & echo $! > "$ZPKG_ROOT/child.pid"; wait', timeout: 3 } } }]);
    addMainRemote(image, repo);
    const r = zpkg(['--root', image, '--json', 'install', '--hooks=host', 'slow'], { timeoutMs: 60_000 });
    expect(r.signal, 'zpkg still ran a minute later: the hook was not killed at its timeout').toBeNull();
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_HOOK_FAILED');
    expect(r.json.error.status).toBe('timeout');
    expect(r.json.error.message).toContain('killed after 3 s (timeout)');
    const child = Number(readFileSync(join(image, 'child.pid'), 'utf8'));
    expect(alive(child)).toBe(false);
    expect(existsSync(join(image, 'usr/bin/slow'))).toBe(false);
  });

  it('the configured default timeout applies to hooks that declare none', async () => {
    // Longer than the built-in default (300 s) would allow: only the configured 1 s can end it.
    await publishLifecycle(repo, work, [{ name: 'slow2', version: '1', files: { 'usr/bin/slow2': 'x' }, hooks: { 'post-install': 'sleep 600' } }]);
    addMainRemote(image, repo);
    writeImageConfig(image, 'hooks:\n  timeout: 1\n');
    const r = zpkg(['--root', image, '--json', 'install', '--hooks=host', 'slow2'], { timeoutMs: 60_000 });
    expect(r.signal, 'zpkg still ran a minute later: the configured timeout was not applied').toBeNull();
    expect(r.status).toBe(1);
    expect(r.json.lifecycle.hooks[0]).toMatchObject({ phase: 'post-install', status: 'timeout', detail: 'killed after 1 s (timeout)' });
  });

  it('a bad etc/zpkg/zpkg.yaml is refused before anything changes', async () => {
    await publishLifecycle(repo, work, [logged('cfg', '1')]);
    addMainRemote(image, repo);
    for (const [yaml, why] of [
      ['hooks:\n  mode: sometimes\n', '`hooks.mode` must be one of auto, chroot, host, skip'],
      ['services:\n  protected: redis\n', '`services.protected` must be a list of service names'],
      ['services:\n  manager: upstart\n', '`services.manager` must be auto or one of'],
      ['hooks:\n  timeout: -1\n', '`hooks.timeout` must be a positive number of seconds'],
      ['hook:\n  mode: host\n', 'unknown key `hook` (known: hooks, services, on-failure, protected, state, cache, proxy, limits, arch, exclude, recommends, facets)'],
    ]) {
      writeImageConfig(image, yaml!);
      const before = tree();
      const r = zpkg(['--root', image, '--json', 'install', '--hooks=host', 'cfg']);
      expect(r.status).toBe(1);
      expect(r.json.error.code).toBe('E_CONFIG_INVALID');
      expect(r.json.error.message).toContain('etc/zpkg/zpkg.yaml');
      expect(r.json.error.message).toContain(why);
      expect(tree()).toEqual(before);
      expect(readLog(image)).toEqual([]);
    }
  });
});


describe('skipping hooks', () => {
  it('--no-scripts and --hooks=skip run no hook; the packages still land', async () => {
    await publishLifecycle(repo, work, [logged('quiet', '1'), logged('quiet', '2')]);
    addMainRemote(image, repo);
    ok(['--root', image, 'install', '--no-scripts', 'quiet=1']);
    ok(['--root', image, 'install', '--hooks=skip', 'quiet=2']);
    expect(readFileSync(join(image, 'usr/bin/quiet'), 'utf8')).toBe('quiet 2');
    ok(['--root', image, 'remove', '--no-scripts', 'quiet']);
    expect(readLog(image)).toEqual([]);
  });

  it('sync --boot runs no hooks (the zos first boot)', async () => {
    await publishLifecycle(repo, work, [logged('bootpkg', '1')]);
    addMainRemote(image, repo);
    const list = join(work, 'release');
    writeFileSync(list, 'bootpkg 1\n');
    const r = ok(['--root', image, '--json', 'sync', '--boot', list]);
    expect(r.json.install).toEqual([{ name: 'bootpkg', version: '1' }]);
    expect(r.json.lifecycle.hookMode).toBe('skip');
    expect(readLog(image)).toEqual([]);
    expect(existsSync(join(image, 'usr/bin/bootpkg'))).toBe(true);
  });
});

describe('chroot mode', () => {
  /** /bin/sh (dash) with the libraries it needs, so hooks can run inside the image. */
  function shellFiles(): Record<string, { content: Buffer; mode: number }> {
    const files: Record<string, { content: Buffer; mode: number }> = {};
    const put = (from: string, to: string, mode = 0o755): void => {
      files[to] = { content: readFileSync(realpathSync(from)), mode };
    };
    put('/usr/bin/dash', 'bin/sh');
    put('/lib/x86_64-linux-gnu/libc.so.6', 'lib/x86_64-linux-gnu/libc.so.6');
    put('/lib64/ld-linux-x86-64.so.2', 'lib64/ld-linux-x86-64.so.2');
    return files;
  }

  it.runIf(process.getuid?.() === 0)('by default a hook of an image that is not / runs chrooted into it; --hooks=host runs it on the host', async () => {
    await publishLifecycle(repo, work, [
      { name: 'sh', version: '1', files: shellFiles() },
      { name: 'inside', version: '1', depends: ['sh'], files: { 'etc/inside': 'x' }, hooks: { 'post-install': 'echo "root=$ZPKG_ROOT cwd=$(pwd)" > /where' } },
      { name: 'inside', version: '2', depends: ['sh'], files: { 'etc/inside': 'y' }, hooks: { 'post-upgrade': 'echo "root=$ZPKG_ROOT cwd=$(pwd)" > "$ZPKG_ROOT/where2"' } },
    ]);
    addMainRemote(image, repo);
    const r = ok(['--root', image, '--json', 'install', 'inside=1']);
    expect(r.json.lifecycle.hookMode).toBe('chroot');
    // Written at the image's /, not the host's.
    expect(readFileSync(join(image, 'where'), 'utf8')).toBe('root=/ cwd=/\n');
    const host = ok(['--root', image, '--json', 'install', '--hooks=host', 'inside=2']);
    expect(host.json.lifecycle.hookMode).toBe('host');
    const abs = realpathSync(image);
    expect(readFileSync(join(image, 'where2'), 'utf8')).toBe(`root=${abs} cwd=${abs}\n`);
  });

  it.runIf(process.getuid?.() === 0)('a chrooted hook that cannot run (no /bin/sh in the image) fails the transaction', async () => {
    await publishLifecycle(repo, work, [{ name: 'nosh', version: '1', files: { 'etc/nosh': 'x' }, hooks: { 'pre-install': 'true' } }]);
    addMainRemote(image, repo);
    const before = tree();
    const r = zpkg(['--root', image, '--json', 'install', '--hooks=chroot', 'nosh']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_HOOK_FAILED');
    expect(r.json.error.message).toContain('failed (exit 127)');
    expect(r.json.error.output).toContain('chroot: failed to run command');
    expect(tree()).toEqual(before);
  });
});

describe('from a recipe', () => {
  it('a recipe\'s hooks: and services: are built, published, and run by install', () => {
    const src = join(work, 'recipe');
    mkdirSync(join(src, 'hooks'), { recursive: true });
    writeFileSync(join(src, 'hooks', 'post-install.sh'), '#!/bin/sh\necho "installed $ZPKG_PACKAGE $ZPKG_NEW_VERSION" > "$ZPKG_ROOT/recipe-hook"\n', { mode: 0o755 });
    writePackageWith(src, { name: 'fromrecipe', version: '1.2', hooks: { 'post-install': 'hooks/post-install.sh' }, services: [{ name: 'fromrecipe' }] }, { 'usr/bin/fromrecipe': 'x' });
    ok(['repo', 'create', repo]);
    ok(['build', src, '--repo', repo]);
    addMainRemote(image, repo);
    const r = ok(['--root', image, '--json', 'install', '--hooks=host', 'fromrecipe']);
    expect(readFileSync(join(image, 'recipe-hook'), 'utf8')).toBe('installed fromrecipe 1.2\n');
    // An image in a directory has no service manager by default: the service is planned, and skipped.
    expect(r.json.lifecycle.services).toEqual([expect.objectContaining({ name: 'fromrecipe', status: 'skipped' })]);
  });
});

describe('interrupted after the commit', () => {
  it('post-hooks an interruption kept from running are run by recovery; verify reports them pending until then', async () => {
    await publishLifecycle(repo, work, [logged('late', '1')]);
    addMainRemote(image, repo);
    const killed = zpkg(['--root', image, 'install', '--hooks=host', 'late'], { env: { ZPKG_CRASH_AT: 'committed' } });
    expect(killed.status).not.toBe(0);
    // Committed: the files are there, the post-install hook has not run.
    expect(readLog(image).map((l) => l.phase)).toEqual(['pre-install']);
    const v = zpkg(['--root', image, 'verify']);
    expect(v.status).toBe(1);
    expect(v.stdout).toMatch(/was interrupted before its post-hooks and service starts/);
    // recover -n says what recovery would do, and does none of it (it takes the lock: SQLite then drops the hot journal the killed holder left beside it).
    const unlocked = (rel: string): boolean => rel.startsWith('var/lib/zpkg/lock');
    const before = snapshot(image, unlocked);
    const plan = ok(['--root', image, '--json', 'recover', '-n']).json;
    expect(plan.journals).toEqual([expect.objectContaining({ action: 'finish', command: expect.stringContaining('install --hooks=host late') })]);
    expect(plan.lifecycles).toEqual([{ txid: plan.journals[0].txid, action: 'finish', postHooks: 1, services: [], rollbackOnFailure: false }]);
    expect(ok(['--root', image, 'recover', '--dry-run']).stdout).toMatch(/: committed; would be finished .*\n.*would run its 1 post-hook and start its services \(none\)\n$/);
    expect(snapshot(image, unlocked)).toEqual(before);
    expect(readLog(image).map((l) => l.phase)).toEqual(['pre-install']);
    const r = ok(['--root', image, '--json', 'recover']);
    expect(r.json.recovered).toEqual([expect.objectContaining({ outcome: 'completed' })]);
    expect(r.json.lifecycles).toEqual([expect.objectContaining({ outcome: 'finished' })]);
    expect(readLog(image).map((l) => l.phase)).toEqual(['pre-install', 'post-install']);
    // The same transaction id as its pre-hook, and recorded with that transaction.
    expect(new Set(readLog(image).map((l) => l.tx)).size).toBe(1);
    expect(ok(['--root', image, '--json', 'history', '1']).json.lifecycle.map((x: { action: string }) => x.action)).toEqual(['pre-install', 'post-install']);
    expect(ok(['--root', image, 'verify']).status).toBe(0);
    expect(ok(['--root', image, '--json', 'recover']).json).toEqual({ recovered: [], lifecycles: [] });
    expect(ok(['--root', image, 'recover', '-n']).stdout).toBe('nothing to recover\n');
  });
});
