/**
 * The library behind `zpkg import-deb` (src/build/deb/import.ts) and `zpkg
 * repo check` (src/repo/check.ts), called directly on .deb files made here
 * with dpkg-deb and a real repository: convert-only, publish, one bad archive
 * publishing nothing, and the temporary contents gone whatever happened.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDebs } from '../src/build/deb/import.js';
import type { Report } from '../src/report/report.js';
import { checkRepository } from '../src/repo/check.js';
import { DirBackend } from '../src/repo/dir-backend.js';
import { readSigningKey } from '../src/repo/trust/key-file.js';
import { ok, snapshot, tempDir, TEST_KEY } from './helpers/zpkg.js';

let work: string;
let tmp: string;
let savedTmp: string | undefined;
const signer = (): { keys: ReturnType<typeof readSigningKey>[] } => ({ keys: [readSigningKey(TEST_KEY)] });

/** A Report that keeps the warnings and says nothing. */
function quietReport(): Report & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    json: true,
    warnings,
    info: () => undefined,
    warn: (m) => warnings.push(m),
    progress: () => ({ tick: () => undefined, done: () => undefined }),
    result: () => undefined,
    item: () => undefined,
    error: () => undefined,
  };
}

/** A .deb built by dpkg-deb from control fields, files (`{fifo: true}` makes a named pipe) and DEBIAN/ files (maintainer scripts, conffiles). */
function deb(name: string, control: Record<string, string>, files: Record<string, string | { fifo: true }>, debian: Record<string, string> = {}): string {
  const tree = join(work, `${name}-tree`);
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  const fields = { Package: name, Version: '1.0', Architecture: 'all', Maintainer: 't <t@example.org>', Description: `${name} for a test`, ...control };
  writeFileSync(join(tree, 'DEBIAN/control'), `${Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
  for (const [file, text] of Object.entries(debian)) writeFileSync(join(tree, 'DEBIAN', file), text, { mode: file === 'conffiles' ? 0o644 : 0o755 });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    if (typeof content === 'string') writeFileSync(join(tree, path), content);
    else execFileSync('mkfifo', [join(tree, path)]);
  }
  const out = join(work, `${name}.deb`);
  execFileSync('dpkg-deb', ['-Zgzip', '--build', tree, out], { stdio: 'ignore' });
  return out;
}

let alpha: string;
let beta: string;
let lonely: string;
let piped: string;

beforeAll(() => {
  work = tempDir('zpkg-import-lib-');
  // Where the import keeps converted contents: checked empty after each import.
  tmp = join(work, 'tmp');
  mkdirSync(tmp);
  savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  alpha = deb('alpha', { Depends: 'beta (>= 1.0)' }, { 'usr/share/alpha/data': 'alpha\n', 'etc/alpha.conf': 'a=1\n' }, { postinst: '#!/bin/sh\nexit 0\n', conffiles: '/etc/alpha.conf\n' });
  beta = deb('beta', { Provides: 'greek' }, { 'usr/share/beta/data': 'beta\n' });
  lonely = deb('lonely', { Depends: 'nobody-has-this' }, { 'usr/share/lonely/data': 'lonely\n' });
  piped = deb('piped', {}, { 'usr/share/piped/data': 'x\n', 'usr/share/piped/pipe': { fifo: true } });
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
});

describe('importDebs', () => {
  it('without a repository: converts and describes, warns of maintainer scripts, publishes nothing', async () => {
    const report = quietReport();
    const r = await importDebs([alpha, beta], { report, derive: false });
    expect(r.publish).toBeUndefined();
    expect(r.packages.map((p) => [p.name, p.version, p.files, p.status])).toEqual([['alpha', '1.0', 2, undefined], ['beta', '1.0', 1, undefined]]);
    expect(r.packages[0]).toMatchObject({ depends: ['beta (>= 1.0)'], config: ['etc/alpha.conf'], bytes: 'alpha\n'.length + 'a=1\n'.length });
    expect(r.packages[1]!.provides).toEqual(['greek']);
    expect(report.warnings).toEqual([expect.stringMatching(/^alpha 1\.0: maintainer scripts not run: postinst/)]);
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('with a repository: publishes them together in one repository version', async () => {
    const dir = join(work, 'repo');
    ok(['repo', 'create', dir]);
    const r = await importDebs([alpha, beta, lonely], { repo: new DirBackend(dir), signer: signer(), report: quietReport(), derive: false });
    expect(r.packages.map((p) => [p.name, p.status])).toEqual([['alpha', 'added'], ['beta', 'added'], ['lonely', 'added']]);
    expect(r.publish).toMatchObject({ repoVersion: 2, blobsWritten: 4 });
    expect(ok(['--json', 'repo', 'list', dir]).json.packages.map((p: { name: string }) => p.name).sort()).toEqual(['alpha', 'beta', 'lonely']);
    expect(readdirSync(tmp)).toEqual([]);
    // The same again: nothing changes but the repository version.
    const again = await importDebs([beta], { repo: new DirBackend(dir), signer: signer(), report: quietReport(), derive: false });
    expect(again.packages[0]!.status).toBe('unchanged');
  });

  it('an archive refused halfway through its conversion: nothing published, nothing left in the temporary directory', async () => {
    const dir = join(work, 'repo-bad');
    ok(['repo', 'create', dir]);
    const before = snapshot(dir);
    await expect(importDebs([alpha, piped, beta], { repo: new DirBackend(dir), signer: signer(), report: quietReport() })).rejects.toMatchObject({
      code: 'E_ARCHIVE_INVALID',
      message: expect.stringMatching(/piped\.deb: data archive entry `\.\/usr\/share\/piped\/pipe` is a device, fifo or socket/),
    });
    expect(snapshot(dir)).toEqual(before);
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('checkRepository', () => {
  it('finds exactly the package that cannot be installed, with the reason', async () => {
    const r = await checkRepository(new DirBackend(join(work, 'repo')));
    expect(r.packages).toBe(3);
    expect(r.uninstallable.map((u) => [u.name, u.version])).toEqual([['lonely', '1.0']]);
    expect(r.uninstallable[0]!.reason.join('\n')).toMatch(/nobody-has-this/);
    expect(Object.keys(r.timing).sort()).toEqual(['check', 'pool', 'read']);
  });
});
