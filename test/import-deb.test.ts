/**
 * `zpkg import-deb` on real bookworm packages: a closed set is imported into
 * a repository, installed with zpkg's solver into an empty image, and real
 * programs run from it under chroot (`bash -c 'echo ok'`, `openssl version`).
 *
 * The set is a closure (every Depends/Pre-Depends and every derived `so:` and
 * `file:` relation is met inside it), checked below by `zpkg repo check`:
 *   bash → base-files, debianutils, libc6, libtinfo6; base-files → awk (mawk provides it);
 *   coreutils → libacl1, libattr1, libgmp10, libselinux1 → libpcre2-8-0;
 *   openssl → libssl3 (which ships libcrypto.so.3 too); libc6 → libgcc-s1 → gcc-12-base;
 *   everything → libc6, whose lib64/ld-linux-x86-64.so.2 is the `file:` interpreter of every ELF file.
 * (nginx-light was left out: it pulls in iproute2, nginx-common and through them debconf and perl.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, linkSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fetchDebs } from './helpers/debs.js';
import { readManifest } from './helpers/recipes.js';
import { ok, snapshot, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

export const CLOSURE = [
  'libc6', 'libgcc-s1', 'gcc-12-base', 'bash', 'libtinfo6', 'base-files', 'mawk', 'debianutils',
  'coreutils', 'libacl1', 'libattr1', 'libgmp10', 'libselinux1', 'libpcre2-8-0', 'openssl', 'libssl3',
];

let work: string;
let repo: string;
let debs: string[];
let imported: any;

beforeAll(() => {
  debs = fetchDebs(CLOSURE);
  work = tempDir('zpkg-deb-');
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  imported = ok(['--json', 'import-deb', ...debs, '--repo', repo]).json;
}, 600_000);

const pkg = (name: string): any => imported.packages.find((p: { name: string }) => p.name === name);

describe('import-deb of a real bookworm set', () => {
  it('maps Debian relations, versions and conffiles, and derives ELF relations', () => {
    expect(imported.packages).toHaveLength(CLOSURE.length);
    const bash = pkg('bash');
    expect(bash.version).toMatch(/^5\.2\./);
    // Pre-Depends and Depends both become depends.
    expect(bash.depends).toContain('libtinfo6 (>= 6)');
    expect(bash.depends.some((d: string) => d.startsWith('base-files'))).toBe(true);
    expect(bash.depends).toContain('so:libtinfo.so.6');
    expect(bash.depends).toContain('file:/lib64/ld-linux-x86-64.so.2');
    expect(bash.config).toContain('etc/bash.bashrc');
    expect(bash.warnings.join('\n')).toMatch(/maintainer scripts not run: postinst/);
    const libc = pkg('libc6');
    expect(libc.provides).toContain('so:libc.so.6(GLIBC_2.36)');
    expect(libc.provides).toContain('file:/lib64/ld-linux-x86-64.so.2');
    expect(pkg('mawk').provides).toContain('awk');
    expect(pkg('libgcc-s1').provides.some((p: string) => p.startsWith('libgcc1 (= '))).toBe(true);
    expect(pkg('libssl3').provides).toContain('so:libcrypto.so.3(OPENSSL_3.0.0)');
    expect(pkg('openssl').config).toContain('etc/ssl/openssl.cnf');
    expect(pkg('libc6').depends).not.toContain('so:libc.so.6');
    // Essential: yes is kept, as apt keeps it (and lets an essential link stand for a directory: test/merged-usr.test.ts).
    expect(CLOSURE.filter((n) => pkg(n).essential).sort()).toEqual(['base-files', 'bash', 'coreutils', 'debianutils']);
  });

  it('the set is a closure: every package installable from the imported repository alone', () => {
    const r = ok(['--json', 'repo', 'check', repo]).json;
    expect(r.uninstallable).toEqual([]);
    expect(r.packages).toBe(CLOSURE.length);
  });

  it('installs into an empty image and runs bash and openssl under chroot', () => {
    const image = join(work, 'image');
    mkdirSync(join(image, 'etc'), { recursive: true });
    // What base-passwd's maintainer scripts would create: base-files ships /var/local as root:staff.
    writeFileSync(join(image, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(join(image, 'etc/group'), 'root:x:0:\nstaff:x:50:\n');
    ok(['--root', image, 'remote', 'add', 'debian', repo, ...TRUST]);
    const r = ok(['--root', image, '--json', 'install', 'bash', 'coreutils', 'openssl']);
    expect(r.json.install.map((p: { name: string }) => p.name).sort()).toEqual([...CLOSURE].sort());
    const bash = spawnSync('chroot', [image, '/bin/bash', '-c', 'echo ok'], { encoding: 'utf8' });
    expect(bash.stderr).toBe('');
    expect(bash.stdout).toBe('ok\n');
    const openssl = spawnSync('chroot', [image, '/usr/bin/openssl', 'version'], { encoding: 'utf8' });
    expect(openssl.stdout).toMatch(/^OpenSSL 3\.0\.\d+/);
    const ls = spawnSync('chroot', [image, '/bin/ls', '/usr/lib/x86_64-linux-gnu/libssl.so.3'], { encoding: 'utf8' });
    expect(ls.stdout).toBe('/usr/lib/x86_64-linux-gnu/libssl.so.3\n');
    expect(spawnSync('stat', ['-c', '%a %U:%G', join(image, 'var/local')], { encoding: 'utf8' }).stdout).toBe('2775 root:staff\n');
    expect(ok(['--root', image, 'verify']).status).toBe(0);
    // A conffile is a config file: a local edit survives removal.
    writeFileSync(join(image, 'etc/ssl/openssl.cnf'), 'edited\n', { flag: 'a' });
    ok(['--root', image, 'remove', 'openssl']);
    expect(readFileSync(join(image, 'etc/ssl/openssl.cnf'), 'utf8')).toMatch(/edited\n$/);
    // An essential package stays, as apt refuses without --allow-remove-essential.
    const essential = zpkg(['--root', image, '--json', 'remove', 'bash', '--force']);
    expect(essential.json.error.code).toBe('E_PROTECTED');
  });

  it('a corrupt .deb gives a typed error and publishes nothing, even beside good ones', () => {
    const bad = join(work, 'bad.deb');
    const good = readFileSync(debs[CLOSURE.indexOf('mawk')]!);
    writeFileSync(bad, Buffer.concat([good.subarray(0, 2000), Buffer.alloc(4000, 0x41), good.subarray(6000)]));
    const repo2 = join(work, 'repo2');
    ok(['repo', 'create', repo2]);
    const before = snapshot(repo2);
    const r = zpkg(['--json', 'import-deb', debs[CLOSURE.indexOf('bash')]!, bad, '--repo', repo2]);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_ARCHIVE_INVALID');
    expect(r.json.error.message).toContain('bad.deb');
    expect(snapshot(repo2)).toEqual(before);
    const notDeb = join(work, 'text.deb');
    writeFileSync(notDeb, 'not an archive\n');
    const t = zpkg(['import-deb', notDeb, '--repo', repo2]);
    expect(t.status).toBe(1);
    expect(t.stderr).toMatch(/error: .*text\.deb is not a readable Debian package/);
    expect(snapshot(repo2)).toEqual(before);
  });
});

describe('import-deb of a .deb built here with dpkg-deb', () => {
  it('keeps owners by name, modes, symlinks, hard links, long paths, conffiles; maps Breaks, :any and alternatives', () => {
    const tree = join(work, 'crafted');
    const long = `usr/share/crafted/${'d'.repeat(60)}/${'f'.repeat(80)}.txt`;
    mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
    mkdirSync(join(tree, 'usr/bin'), { recursive: true });
    mkdirSync(join(tree, 'etc'), { recursive: true });
    mkdirSync(join(tree, long, '..'), { recursive: true });
    mkdirSync(join(tree, 'var/lib/crafted'), { recursive: true });
    writeFileSync(join(tree, 'DEBIAN/control'), [
      'Package: crafted', 'Version: 1:2.0-3', 'Architecture: all', 'Maintainer: t <t@example.org>',
      'Pre-Depends: libc6 (>= 2.34)', 'Depends: python3:any | python3-minimal, base-files', 'Breaks: oldthing (<< 2)',
      'Provides: crafted-api (= 2)', 'Replaces: oldthing', 'Description: a crafted package', ' It has a long description.', ' .', ' Two paragraphs.', '',
    ].join('\n'));
    writeFileSync(join(tree, 'DEBIAN/conffiles'), '/etc/crafted.conf\n');
    writeFileSync(join(tree, 'DEBIAN/postinst'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    writeFileSync(join(tree, 'etc/crafted.conf'), 'a=1\n');
    writeFileSync(join(tree, 'usr/bin/crafted'), '#!/bin/sh\necho crafted\n', { mode: 0o755 });
    chmodSync(join(tree, 'usr/bin/crafted'), 0o4755);
    linkSync(join(tree, 'usr/bin/crafted'), join(tree, 'usr/bin/crafted-too'));
    symlinkSync('crafted', join(tree, 'usr/bin/crafted-link'));
    writeFileSync(join(tree, long), 'long\n');
    writeFileSync(join(tree, 'var/lib/crafted/state'), 's\n');
    chownSync(join(tree, 'var/lib/crafted'), 65534, 65534);
    chownSync(join(tree, 'var/lib/crafted/state'), 65534, 65534);
    const deb = join(work, 'crafted.deb');
    execFileSync('dpkg-deb', ['-Zxz', '--build', tree, deb], { stdio: 'ignore' });
    const repo3 = join(work, 'repo3');
    ok(['repo', 'create', repo3]);
    const r = ok(['--json', 'import-deb', deb, '--repo', repo3]);
    expect(r.stderr).toMatch(/warning: crafted 1:2.0-3: maintainer scripts not run: postinst/);
    const m = readManifest(repo3, r.json.packages[0].manifest) as any;
    expect(m.version).toBe('1:2.0-3');
    expect(m.depends).toEqual(['libc6 (>= 2.34)', 'python3 | python3-minimal', 'base-files']);
    expect(m.conflicts).toEqual(['oldthing (<< 2)']);
    expect(m.provides).toEqual(['crafted-api (= 2)', 'file:/usr/bin/crafted', 'file:/usr/bin/crafted-link', 'file:/usr/bin/crafted-too']);
    expect(m.replaces).toEqual(['oldthing']);
    expect(m.summary).toBe('a crafted package');
    expect(m.description).toMatch(/^It has a long description.\n\nTwo paragraphs.\n\nImported from the Debian package crafted 1:2.0-3. Its maintainer scripts \(postinst\) were not run.$/);
    const byPath = new Map(m.actions.map((a: { path: string }) => [a.path, a]));
    expect(byPath.get('etc/crafted.conf')).toMatchObject({ type: 'file', config: true, owner: 'root' });
    const bins = ['usr/bin/crafted', 'usr/bin/crafted-too'].map((p) => byPath.get(p) as { type: string; mode?: string; target?: string });
    const file = bins.find((b) => b.type === 'file')!;
    const hard = bins.find((b) => b.type === 'hardlink')!;
    expect(file.mode).toBe('4755');
    expect(bins.map((b) => b.type).sort()).toEqual(['file', 'hardlink']);
    expect(['usr/bin/crafted', 'usr/bin/crafted-too']).toContain(hard.target);
    expect(byPath.get('usr/bin/crafted-link')).toMatchObject({ type: 'link', target: 'crafted' });
    expect(byPath.get(long)).toMatchObject({ type: 'file', size: 5 });
    expect(byPath.get('var/lib/crafted/state')).toMatchObject({ owner: 'nobody', group: 'nogroup' });
  });
});

describe('the tar reader against GNU tar', () => {
  it('reads pax and GNU long names, links, modes, owners and contents as tar lists them', async () => {
    const { readTar } = await import('../src/build/deb/tar.js');
    const tree = join(work, 'tartree');
    const deep = `${'p'.repeat(120)}/ünïcödé-${'n'.repeat(110)}.txt`;
    mkdirSync(join(tree, deep, '..'), { recursive: true });
    writeFileSync(join(tree, deep), 'deep\n');
    writeFileSync(join(tree, 'plain'), Buffer.alloc(70_000, 7));
    // chown clears setgid: owner first, then mode.
    chownSync(join(tree, 'plain'), 65534, 65534);
    chmodSync(join(tree, 'plain'), 0o2751);
    linkSync(join(tree, 'plain'), join(tree, 'again'));
    symlinkSync(`../${'t'.repeat(150)}`, join(tree, 'far'));
    for (const format of ['pax', 'gnu', 'ustar']) {
      const file = join(work, `t-${format}.tar`);
      const r = spawnSync('tar', [`--format=${format}`, '-cf', file, '-C', tree, '--sort=name', '.'], { encoding: 'utf8' });
      if (format === 'ustar') {
        // ustar cannot hold these names: GNU tar says so and skips them; what it wrote must still read.
        expect(r.status).not.toBe(0);
      }
      const entries = readTar(readFileSync(file), file);
      const listed = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n').filter(Boolean);
      expect(entries.map((e) => e.path), format).toEqual(listed);
      if (format === 'ustar') continue;
      const byPath = new Map(entries.map((e) => [e.path.replace(/^\.\//, ''), e]));
      expect(byPath.get(deep)?.data.toString()).toBe('deep\n');
      const plain = [byPath.get('plain')!, byPath.get('again')!];
      const first = plain.find((e) => e.type === 'file')!;
      expect(first).toMatchObject({ mode: 0o2751, uname: 'nobody', gname: 'nogroup', uid: 65534 });
      expect(first.data.equals(Buffer.alloc(70_000, 7))).toBe(true);
      expect(plain.find((e) => e.type === 'hardlink')!.linkname.replace(/^\.\//, '')).toBe(first.path.replace(/^\.\//, ''));
      expect(byPath.get('far')).toMatchObject({ type: 'symlink', linkname: `../${'t'.repeat(150)}` });
    }
  });

  it('a damaged header is E_ARCHIVE_INVALID naming the archive, never a crash', async () => {
    const { readTar } = await import('../src/build/deb/tar.js');
    const { isZpkgError } = await import('../src/core/errors.js');
    const good = readFileSync(join(work, 't-gnu.tar'));
    const cases: Buffer[] = [good.subarray(0, 700), Buffer.concat([good.subarray(0, 100), Buffer.from('x'), good.subarray(101)]), Buffer.alloc(10)];
    for (const bytes of cases) {
      let err: unknown;
      try {
        readTar(bytes, 'broken.tar');
      } catch (e) {
        err = e;
      }
      expect(isZpkgError(err, 'E_ARCHIVE_INVALID')).toBe(true);
      expect((err as Error).message).toContain('broken.tar');
    }
  });
});

describe('from-deb: in a recipe', () => {
  it('packs the .deb with the recipe\'s name, version, selection, attributes, hooks and services; keeps its owners, conffiles and relations', async () => {
    const { loadRecipe } = await import('../src/build/recipe.js');
    const { buildRecipe } = await import('../src/build/build.js');
    const src = join(work, 'recipe-openssl');
    mkdirSync(join(src, 'hooks'), { recursive: true });
    writeFileSync(join(src, 'openssl.deb'), readFileSync(debs[CLOSURE.indexOf('openssl')]!));
    writeFileSync(join(src, 'hooks', 'post-install.sh'), '#!/bin/sh\nexit 0\n');
    writeFileSync(
      join(src, 'zpkg.yaml'),
      [
        'name: openssl-zos',
        'version: "3.0-zos1"',
        'from-deb: openssl.deb',
        'depends: [zos-base]',
        'files: { exclude: ["usr/share/man/**", "usr/share/doc/**"] }',
        'attributes: [{ path: usr/bin/openssl, mode: "0750" }]',
        'hooks: { post-install: hooks/post-install.sh }',
        'services: [{ name: ssl-agent, restart: always }]',
        '',
      ].join('\n'),
    );
    const recipe = loadRecipe(src);
    expect(recipe.tree).toEqual({ from: 'deb', path: join(src, 'openssl.deb') });
    const { result, cleanup } = await buildRecipe(recipe, { sourceCache: join(work, 'cache'), log: join(work, 'from-deb.log') });
    try {
      const m = result.manifest;
      expect([m.name, m.version, m.arch]).toEqual(['openssl-zos', '3.0-zos1', 'amd64']);
      // The deb's relations plus the recipe's, plus what the binaries need.
      expect(m.depends).toContain('zos-base');
      expect(m.depends.some((d) => d.startsWith('libssl3'))).toBe(true);
      expect(m.depends).toContain('so:libssl.so.3');
      const paths = m.actions.flatMap((a) => ('path' in a ? [a.path] : []));
      expect(paths).toContain('usr/bin/openssl');
      expect(paths.some((p) => p.startsWith('usr/share/man/'))).toBe(false);
      const bin = m.actions.find((a) => a.type === 'file' && a.path === 'usr/bin/openssl');
      expect(bin).toMatchObject({ mode: '0750', owner: 'root', group: 'root' });
      expect(m.actions.find((a) => a.type === 'file' && a.path === 'etc/ssl/openssl.cnf')).toMatchObject({ config: true });
      expect(Object.keys(m.hooks ?? {})).toEqual(['post-install']);
      expect(m.services).toEqual([{ name: 'ssl-agent', restart: 'always' }]);
      expect(m.description).toContain('Imported from the Debian package openssl');
    } finally {
      cleanup();
    }
  });
});
