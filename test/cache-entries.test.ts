// The content cache and a remote's cached copies hold only regular files zpkg wrote. An entry
// found to be anything else (here: a link out of the image, to a FIFO or a file) is refused
// unread, fetched again or swept — never followed. The deadlines below only catch a zpkg stuck
// opening a FIFO (a reader that follows the link waits forever for a writer); they assert nothing
// about speed.
import { execFileSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

const DEADLINE = { timeoutMs: 120_000 };

function installed(): { work: string; root: string; cache: string; fifo: string } {
  const work = tempDir();
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'src'), { name: 'app', version: '1' }, { 'usr/bin/app': { content: '#!/bin/sh\necho app\n', mode: 0o755 }, 'usr/share/app/data': 'data\n' }), '--repo', repo]);
  const root = join(work, 'img');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'app']);
  const fifo = join(work, 'fifo');
  execFileSync('mkfifo', [fifo]);
  return { work, root, cache: join(root, 'var/lib/zpkg/cache'), fifo };
}

/** Replaces `path` by a link to `target`. */
function linkOver(path: string, target: string): void {
  rmSync(path, { force: true });
  symlinkSync(target, path);
}

describe('cache entries that are not regular files', () => {
  it('a cached manifest that is a link: verify names it without following it; fix puts the manifest back', () => {
    const { root, cache, fifo } = installed();
    const [name] = readdirSync(join(cache, 'manifests'));
    const entry = join(cache, 'manifests', name!);
    linkOver(entry, fifo);

    const v = zpkg(['--root', root, '--json', 'verify'], DEADLINE);
    expect(v.signal).toBeNull();
    expect(v.status).toBe(1);
    const problem = v.json.problems.find((p: { kind: string }) => p.kind === 'manifest');
    expect(problem.package).toBe('app');
    expect(problem.problem).toContain(entry);
    expect(problem.problem).toContain('symbolic link');

    const dry = zpkg(['--root', root, 'fix', '-n'], DEADLINE);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('would put back the manifest of app in the cache');
    expect(lstatSync(entry).isSymbolicLink()).toBe(true);

    const r = zpkg(['--root', root, '--json', 'fix'], DEADLINE);
    expect(r.status).toBe(0);
    expect(r.json.manifests).toEqual(['app']);
    expect(r.json.repaired).toEqual([]);
    expect(lstatSync(entry).isFile()).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });

  it('gc removes links in the cache, dangling or not, and never what they lead to', () => {
    const { work, root, cache } = installed();
    const outside = join(work, 'outside');
    writeFileSync(outside, 'x'.repeat(100_000));
    const blobs = join(cache, 'blobs', 'ab');
    execFileSync('mkdir', ['-p', blobs]);
    symlinkSync(join(work, 'nothing-here'), join(blobs, `${'ab'.repeat(32)}.zst`));
    symlinkSync(outside, join(cache, 'manifests', `${'cd'.repeat(32)}.json`));

    const r = zpkg(['--root', root, '--json', 'gc'], DEADLINE);
    expect(r.status).toBe(0);
    expect(readdirSync(blobs)).toEqual([]);
    expect(readdirSync(join(cache, 'manifests'))).toHaveLength(1);
    // Links are no cached content: neither counted nor measured by what they lead to.
    expect(r.json.removedBlobs).toBe(0);
    expect(r.json.removedManifests).toBe(0);
    expect(r.json.bytesFreed).toBe(0);
    expect(readFileSync(outside, 'utf8')).toHaveLength(100_000);
    expect(ok(['--root', root, '--json', 'verify']).json.problems).toEqual([]);
  });

  it("a remote's cached catalog that is a link: commands refuse it with a hint, refresh replaces it", () => {
    const { root, fifo } = installed();
    const catalog = join(root, 'var/lib/zpkg/repos/main/catalog.zst');
    linkOver(catalog, fifo);

    const info = zpkg(['--root', root, '--json', 'info', 'app'], DEADLINE);
    expect(info.signal).toBeNull();
    expect(info.status).toBe(1);
    expect(info.json.error.message).toBe('the cached catalog of remote `main` is missing or corrupt');
    const install = zpkg(['--root', root, '--json', 'install', 'app'], DEADLINE);
    expect(install.signal).toBeNull();
    expect(install.status).toBe(1);
    expect(install.json.error.code).toBe('E_DIGEST_MISMATCH');
    expect(install.json.error.hint).toContain('zpkg refresh');

    const r = zpkg(['--root', root, '--json', 'refresh'], DEADLINE);
    expect(r.status).toBe(0);
    expect(lstatSync(catalog).isFile()).toBe(true);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(ok(['--root', root, '--json', 'install', 'app']).json.install).toEqual([]);
  });
});
