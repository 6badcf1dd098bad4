// vercmp, remotes, refresh, search, info and the demo, through the real binary.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

let work: string;
beforeAll(() => {
  work = tempDir();
});

describe('vercmp', () => {
  it('prints <, = or > for two versions', () => {
    expect(ok(['vercmp', '1.0~rc1', '1.0']).stdout).toBe('<\n');
    expect(ok(['vercmp', '1:0.1', '9.9']).stdout).toBe('>\n');
    expect(ok(['vercmp', '1.0-1', '1.0-01']).stdout).toBe('=\n');
    expect(ok(['--json', 'vercmp', '2', '10']).json).toEqual({ a: '2', b: '10', result: '<' });
  });

  it('reads pairs from stdin with `-`, one result per line, NDJSON with --json', () => {
    expect(ok(['vercmp', '-'], { input: '1 2\n2:1 1:9\n\n1.0 1.0\n1.2~b 1.2~a\n' }).stdout).toBe('<\n>\n=\n>\n');
    const ndjson = ok(['--json', 'vercmp', '-'], { input: '1 2\n3 3\n' }).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(ndjson).toEqual([{ a: '1', b: '2', result: '<' }, { a: '3', b: '3', result: '=' }]);
  });

  it('refuses an invalid version with a typed error', () => {
    const r = zpkg(['--json', 'vercmp', '1.0', 'x y']);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_VERSION_INVALID');
    const bad = zpkg(['vercmp', '-'], { input: '1 2\nonly-one\n3 4\n' });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('<\n!\n<\n');
    expect(bad.stderr).toContain('line 2: expected two versions, got 1 field\n');
  });
});

describe('remotes, refresh, search and info', () => {
  let repo: string;
  let root: string;
  beforeAll(() => {
    repo = join(work, 'repo');
    root = join(work, 'img');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 's1'), { name: 'tool', version: '1.0', summary: 'a useful tool', description: 'It does useful things,\non two lines.\n', license: 'Apache-2.0' }, { 'usr/bin/tool': 'x\n' });
    ok(['build', join(work, 's1'), '--repo', repo]);
  });

  it('adds, lists and removes remotes; a duplicate name is refused', () => {
    ok(['--root', root, 'remote', 'add', 'main', repo, '--priority', '10', ...TRUST]);
    ok(['--root', root, 'remote', 'add', 'spare', `file://${repo}`, ...TRUST]);
    expect(ok(['--root', root, '--json', 'remote', 'list']).json.remotes.map((r: { name: string; priority: number }) => [r.name, r.priority])).toEqual([['main', 10], ['spare', 0]]);
    const dup = zpkg(['--root', root, '--json', 'remote', 'add', 'main', repo, ...TRUST]);
    expect(dup.json.error.code).toBe('E_REMOTE_EXISTS');
    ok(['--root', root, 'remote', 'remove', 'spare']);
    expect(zpkg(['--root', root, '--json', 'remote', 'remove', 'spare']).json.error.code).toBe('E_REMOTE_UNKNOWN');
    const ftp = zpkg(['--root', root, '--json', 'remote', 'add', 'web', 'ftp://example.invalid/repo', ...TRUST]);
    expect([ftp.status, ftp.json.error.code]).toEqual([1, 'E_URL_INVALID']);
  });

  it('refresh reports unchanged until a publish changes the catalog', () => {
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0].status).toBe('updated');
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0].status).toBe('unchanged');
    writePackage(join(work, 's2'), { name: 'tool', version: '1.1', summary: 'a useful tool' }, { 'usr/bin/tool': 'y\n', 'usr/share/doc/tool/README': 'doc\n' });
    ok(['build', join(work, 's2'), '--repo', repo]);
    expect(ok(['--root', root, '--json', 'refresh']).json.remotes[0]).toMatchObject({ status: 'updated', packages: 2 });
  });

  it('refresh goes on past a remote that fails, refreshes the others, and fails naming it', () => {
    const img = join(work, 'img-refresh');
    const gone = join(work, 'repo-gone');
    cpSync(repo, gone, { recursive: true });
    ok(['--root', img, 'remote', 'add', 'gone', gone, '--priority', '20', ...TRUST]);
    ok(['--root', img, 'remote', 'add', 'main', repo, ...TRUST]);
    rmSync(gone, { recursive: true });
    const r = zpkg(['--root', img, '--json', 'refresh']);
    expect(r.status).toBe(1);
    expect(r.json.error.message).toBe('1 remote of 2 could not be refreshed: gone');
    expect(r.json.error.remotes.map((x: { remote: string; status: string }) => `${x.remote} ${x.status}`)).toEqual(['main updated']);
    expect(r.json.error.failed.map((x: { remote: string }) => x.remote)).toEqual(['gone']);
    // main was refreshed although gone comes first: the next refresh finds its catalog unchanged.
    const text = zpkg(['--root', img, 'refresh']);
    expect(text.stderr).toMatch(/^main: unchanged \(repository version \d+, \d+ packages?\)\nwarning: remote gone was not refreshed: /);
  });

  it('search and info answer from the remotes that can, naming one never refreshed that cannot; install refuses', () => {
    const img = join(work, 'img-left-out');
    const gone = join(work, 'repo-gone-2');
    cpSync(repo, gone, { recursive: true });
    ok(['--root', img, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', img, 'remote', 'add', 'gone', gone, ...TRUST]);
    rmSync(gone, { recursive: true });
    // Before: both failed with the unreachable remote's error.
    const search = ok(['--root', img, 'search', 'useful']);
    expect(search.stdout).toMatch(/^tool +1\.1 /);
    expect(search.stderr).toMatch(/^warning: remote `gone` is left out of this answer: /);
    expect(ok(['--root', img, '--json', 'info', 'tool']).json.available.map((a: { version: string }) => a.version)).toEqual(['1.1', '1.0']);
    expect(zpkg(['--root', img, '--json', 'install', '-n', 'tool']).status).not.toBe(0);
    ok(['--root', img, 'remote', 'remove', 'main']);
    expect(zpkg(['--root', img, 'search', 'useful']).status).not.toBe(0);
  });

  it('search finds names and summaries, and with --file the paths packages deliver', () => {
    expect(ok(['--root', root, '--json', 'search', 'USEFUL']).json.matches).toEqual([{ name: 'tool', version: '1.1', summary: 'a useful tool', remote: 'main', installed: null }]);
    const files = ok(['--root', root, '--json', 'search', '--file', 'doc/tool']).json.matches;
    expect(files).toEqual([{ path: 'usr/share/doc/tool/README', package: 'tool', version: '1.1', remote: 'main', installed: false }]);
    // An image path as `owns` takes it, with its leading slash: from the root, or from any component.
    const found = (term: string): string[] => ok(['--root', root, '--json', 'search', '--file', term]).json.matches.map((m: { path: string; version: string }) => `${m.path} ${m.version}`);
    expect(found('/usr/share/doc/tool/README')).toEqual(['usr/share/doc/tool/README 1.1']);
    expect(found('/doc/tool')).toEqual(['usr/share/doc/tool/README 1.1']);
    expect(found('/USR/BIN/TOOL').sort()).toEqual(['usr/bin/tool 1.0', 'usr/bin/tool 1.1']);
    // The slash anchors: `ool` is inside `tool`, but no component starts with it.
    expect(found('ool')).toHaveLength(3);
    expect(found('/ool')).toEqual([]);
    expect(ok(['--root', root, 'search', 'nothing-like-this']).stdout).toMatch(/no package matches/);
  });

  it('info shows what remotes offer and what is installed', () => {
    // Not installed: description and license from the newest offered version's manifest, as `apt show` prints them (before: null).
    expect(ok(['--root', root, '--json', 'info', 'tool']).json).toMatchObject({ name: 'tool', installed: null, available: [{ version: '1.1' }, { version: '1.0' }], license: 'MIT', description: '' });
    ok(['--root', root, 'install', 'tool=1.0']);
    const installed = ok(['--root', root, '--json', 'info', 'tool']).json;
    expect(installed.installed).toMatchObject({ version: '1.0', requested: true });
    // Description and license come from the installed version's manifest (the catalog carries neither).
    expect(installed).toMatchObject({ license: 'Apache-2.0', description: 'It does useful things,\non two lines.\n' });
    const text = ok(['--root', root, 'info', 'tool']).stdout.split('\n');
    expect(text.slice(0, 4)).toEqual(['tool: a useful tool', '  It does useful things,', '  on two lines.', `installed: 1.0, 2 B, from main, on ${installed.installed.installedAt.slice(0, 10)}`]);
    expect(text).toContain('license: Apache-2.0');
    expect(zpkg(['--root', root, '--json', 'info', 'nope']).json.error.code).toBe('E_PACKAGE_UNKNOWN');
  });

  it('contents lists the installed version from state.db, another or an uninstalled one from its manifest', () => {
    // tool 1.0 is installed (the tests before); the remote offers 1.1 too.
    expect(ok(['--root', root, '--json', 'contents', 'tool']).json).toMatchObject({ version: '1.0', installed: true, remote: 'main' });
    const other = ok(['--root', root, '--json', 'contents', 'tool=1.1']).json;
    expect(other).toMatchObject({ name: 'tool', version: '1.1', installed: false, remote: 'main' });
    expect(other.paths.map((p: { path: string; type: string }) => `${p.type} ${p.path}`)).toEqual(['dir usr', 'dir usr/bin', 'file usr/bin/tool', 'dir usr/share', 'dir usr/share/doc', 'dir usr/share/doc/tool', 'file usr/share/doc/tool/README']);
    expect(ok(['--root', root, 'contents', 'tool=1.1']).stdout.split('\n')[0]).toBe('tool 1.1 (not installed; from remote main):');
    const before = snapshot(root);
    expect(zpkg(['--root', root, '--json', 'contents', 'tool=9']).json.error.code).toBe('E_VERSION_UNKNOWN');
    expect(zpkg(['--root', root, '--json', 'contents', 'nope']).json.error.code).toBe('E_PACKAGE_UNKNOWN');
    expect(zpkg(['--root', root, '--json', 'contents', '=1']).json.error.code).toBe('E_USAGE');
    // Listing reads; it writes nothing into the image (not even the fetched manifest into the cache).
    expect(snapshot(root)).toEqual(before);
  });

  it('list --upgradable: installed packages with a newer version the image admits, held ones marked', () => {
    // tool 1.0 is installed (the test before); the remote offers 1.1.
    expect(ok(['--root', root, '--json', 'list', '--upgradable']).json.packages).toEqual([{ name: 'tool', installed: '1.0', newest: '1.1', remote: 'main', held: false }]);
    expect(ok(['--root', root, 'list', '--upgradable']).stdout).toBe('tool  1.0 → 1.1  main\n');
    ok(['--root', root, 'hold', 'tool']);
    expect(ok(['--root', root, 'list', '--upgradable']).stdout).toBe('tool  1.0 → 1.1  main  (held)\n');
    ok(['--root', root, 'unhold', 'tool']);
    // A hold range that keeps 1.1 out: nothing newer the image would take.
    ok(['--root', root, 'hold', 'tool (<< 1.1)']);
    expect(ok(['--root', root, '--json', 'list', '--upgradable']).json.packages).toEqual([]);
    expect(ok(['--root', root, 'list', '--upgradable']).stdout).toBe('every installed package is at the newest version its remotes offer\n');
    ok(['--root', root, 'unhold', 'tool']);
    expect(zpkg(['--root', root, '--json', 'list', '--upgradable', '--manual']).json.error.code).toBe('E_USAGE');
    // search marks an installed name with its version when it is not the one offered, else plainly.
    expect(ok(['--root', root, 'search', 'useful']).stdout).toBe('tool  1.1  [installed 1.0]  a useful tool\n');
    ok(['--root', root, 'update']);
    expect(ok(['--root', root, 'search', 'useful']).stdout).toBe('tool  1.1  [installed]  a useful tool\n');
  });

  it('an unsatisfiable request gives each reason once: the headline, then one line per fact', () => {
    writePackage(join(work, 'needy'), { name: 'needy', version: '1', depends: ['absent (>= 2)'] }, { 'usr/bin/needy': 'n\n' });
    ok(['build', join(work, 'needy'), '--repo', repo]);
    ok(['--root', root, 'refresh']);
    const r = zpkg(['--root', root, 'install', 'needy']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('error: zpkg cannot install `needy`:\n  `needy 1` depends on `absent (>= 2)`, which no available package satisfies\n');
    // One line for readers of JSON: the headline with its facts.
    expect(zpkg(['--root', root, '--json', 'install', 'needy']).json.error.message).toBe('zpkg cannot install `needy`: `needy 1` depends on `absent (>= 2)`, which no available package satisfies');
  });

  it('owns names the package of a path; the image root and an empty path are usage errors', () => {
    expect(ok(['--root', root, 'owns', '/usr/bin/tool']).stdout).toBe('/usr/bin/tool is owned by tool\n');
    for (const path of ['', '/', '.']) {
      const r = zpkg(['--root', root, '--json', 'owns', path]);
      expect([r.status, r.json.error.code]).toEqual([2, 'E_USAGE']);
    }
  });
});

describe('demo', () => {
  it('runs the main job end to end under the given folder', () => {
    const dir = join(work, 'demo');
    const r = ok(['--json', 'demo', '--dir', dir]);
    const steps = Object.fromEntries(r.json.steps.map((s: { step: string; detail: unknown }) => [s.step, s.detail]));
    expect(steps.install.install.map((p: { name: string }) => p.name).sort()).toEqual(['hello', 'libgreet', 'zos-base']);
    expect(steps.run.stdout).toBe('hello, zos (libgreet 1.2.0)\n');
    expect(steps.verify.problems).toEqual([]);
    expect(steps.tamper.problems.map((p: { path: string }) => p.path)).toEqual(['etc/os-release']);
    expect(steps.remove.remove).toHaveLength(3);
    expect(existsSync(join(dir, 'image/usr'))).toBe(false);
  });
});

describe('--version', () => {
  it('is the program version after any global option and its value, and a command option after the command', () => {
    for (const globals of [[], ['--root', work], ['--state-dir', join(work, 's')], ['--cache-dir', join(work, 'c')], ['--progress', 'none', '--threads', '1']]) {
      const r = zpkg([...globals, '--version']);
      expect(r.status, `${globals.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/^\d+\.\d+\.\d+/);
    }
    // After the command it belongs to the command: import-flist runs (and finds no such flist) instead of printing the version.
    const r = zpkg(['--json', '--state-dir', join(work, 's'), 'import-flist', join(work, 'none.fl'), '--name', 'x', '--version', '1']);
    expect(r.status).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_NOT_FOUND', message: expect.stringContaining('none.fl') });
  });
});

describe('output to a reader that has gone', () => {
  /** Runs zpkg with its stdout closed by the reader before anything is written (`zpkg … | head -0`). */
  function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => done({ code, stderr }));
    });
  }

  it('drops the rest quietly and exits with the command status, not an EPIPE stack trace', async () => {
    const repo = join(work, 'pipe-repo');
    ok(['repo', 'create', repo]);
    for (const args of [['--help'], ['--json', 'repo', 'list', repo], ['repo', 'list', repo]]) {
      const r = await withClosedStdout(args);
      expect(r, args.join(' ')).toEqual({ code: 0, stderr: '' });
    }
  });
});
