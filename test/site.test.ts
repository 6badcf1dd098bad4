/**
 * `zpkg repo site` through the real binary on a real repository: the pages it
 * writes and what they say (release changes, closures, relations, escaping),
 * re-rendering that rewrites only what changed and removes only what it wrote,
 * a site beside the repository in its own directory, and refusals that change
 * nothing (a foreign output directory, a broken catalog, a bad --base-url).
 * The pure parts (slugs, transitive reduction, release sets) are checked on
 * their own. What a browser makes of the pages is test/site-browser.test.ts.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { transitiveReduction } from '../src/site/closure.js';
import { slug } from '../src/site/html.js';
import { EVIL_SUMMARY, buildSiteRepo } from './helpers/site-repo.js';
import { ok, snapshot, tempDir, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
let repo: string;
let site: string;
let first: any;

const read = (path: string): string => readFileSync(join(site, path), 'utf8');

beforeAll(() => {
  work = tempDir('zpkg-site-');
  repo = buildSiteRepo(work);
  site = join(work, 'site');
  first = ok(['--json', 'repo', 'site', repo, '--out', site, '--base-url', 'https://pkg.example.org/zos']).json;
}, 600_000);

describe('zpkg repo site', { timeout: 600_000 }, () => {
  it('writes an index, a page per package, provided name, release set and release, browse pages and the repository page', () => {
    expect(first.pages).toMatchObject({ packages: 10, sets: 1, releases: 2, browse: 1 });
    for (const p of ['index.html', 'repository.html', 'sets.html', 'browse/1.html', 'p/hello.html', 'p/containerd.html', 'p/zos-release.html', 's/zos-release.html', 'r/zos-release@3.10.0.html', 'r/zos-release@3.11.0.html', 'v/mail-agent.html']) {
      expect(existsSync(join(site, p)), p).toBe(true);
    }
    expect(readdirSync(join(site, 'p')).filter((f) => f.endsWith('.html'))).toHaveLength(10);
    expect(first.search).toMatchObject({ packages: 10 });
    expect(first.search.paths).toBeGreaterThan(10);
    // the index names its search shards, each of which exists
    const shards = [...read('index.html').matchAll(/data-(?:names|paths)="([^"]*)"/g)].flatMap((m) => m[1]!.split(' ').filter(Boolean));
    expect(shards.length).toBeGreaterThanOrEqual(2);
    for (const s of shards) expect(existsSync(join(site, s)), s).toBe(true);
  });

  it('a package page: versions, relations as links, reverse dependencies, files, hooks, services, the manifest, the closure graph', () => {
    const hello = read('p/hello.html');
    expect(hello).toContain('<a href="../p/libgreet.html">libgreet</a> (&gt;= 1.0)');
    expect(hello).toMatch(/greeting-lib/); // an alternative the repository lacks, shown but not flagged: libgreet satisfies the clause
    expect(hello).not.toMatch(/greeting-lib[^<]*\(nothing provides it\)/);
    expect(hello).toContain('/usr/bin/hello');
    expect(hello).toContain('post-install');
    expect(hello).toMatch(/<a class="digest" href="https:\/\/pkg\.example\.org\/zos\/manifests\/[0-9a-f]{2}\/[0-9a-f]{64}\.json">sha256:/);
    const svg = /<svg[^>]*class="graph"[\s\S]*?<\/svg>/.exec(hello)![0];
    expect(svg).toContain('>libgreet<');
    expect(svg).toContain('>zos-base<');
    expect(svg).toContain('href="../p/libgreet.html"');
    // reverse dependencies and the release sets that pin it
    expect(hello).toMatch(/Required by[\s\S]*zos-release/);
    expect(hello).toContain('href="../r/zos-release@3.11.0.html"');
    const containerd = read('p/containerd.html');
    expect(containerd).toContain('id="v-1.7.0"');
    expect(containerd).toContain('id="v-1.6.18"');
    expect(containerd).toMatch(/<code>containerd<\/code> — restart on-upgrade/);
    expect(read('p/mycelium.html')).toMatch(/user <code>mycelium<\/code>/);
    // a dependency nothing satisfies is said so, on the page and in the graph
    const needs = read('p/needs-missing.html');
    expect(needs).toMatch(/missing-thing \(&gt;= 2\) \(nothing provides it\)/);
    expect(needs).toMatch(/class="unmet"/);
    // a provided name leads to its providers
    expect(needs).toContain('href="../v/mail-agent.html"');
    expect(read('v/mail-agent.html')).toContain('href="../p/tinymail.html"');
    // a conflict with a name nothing offers is as it should be: shown, not flagged
    expect(read('p/tinymail.html')).toContain('<span class="muted">othermail</span>');
    expect(read('p/tinymail.html')).not.toMatch(/othermail[^<]*\(nothing provides it\)/);
  });

  it("a library's symbol versions fold under its soname, opened where one is unmet", () => {
    const base = tempDir('zpkg-site-fold-');
    const r = join(base, 'repo');
    ok(['repo', 'create', r]);
    const versions = ['FOLD_1.0', 'FOLD_1.1', 'FOLD_1.2'].map((v) => `so:libfold.so.1(${v})`);
    ok([
      'build',
      writePackage(join(base, 'libfold'), { name: 'libfold', version: '1', provides: ['so:libfold.so.1', ...versions] }, { 'usr/lib/libfold.so.1': 'fold\n' }),
      writePackage(join(base, 'user'), { name: 'user', version: '1', depends: ['so:libfold.so.1', 'so:libfold.so.1(FOLD_1.0)', 'so:libfold.so.1(FOLD_9.9)', 'libfold'] }, { 'usr/bin/user': 'user\n' }),
      '--repo',
      r,
    ]);
    const out = join(base, 'site');
    ok(['repo', 'site', r, '--out', out]);
    const page = (name: string): string => readFileSync(join(out, 'p', `${name}.html`), 'utf8');
    // Before: one list item per atom (glibc's page listed 38 provides).
    const provides = /<dt>Provides<\/dt><dd>([\s\S]*?)<\/dd>/.exec(page('libfold'))![1]!;
    expect(provides.match(/<details>/g)).toHaveLength(1);
    expect(provides).toContain('<summary>3 symbol versions</summary>');
    expect(provides).toContain('<a class="virtual" href="../v/so_3alibfold.so.1.html">so:libfold.so.1</a> <details>');
    expect(provides).toContain('<li><a class="virtual" href="../v/so_3alibfold.so.1_28FOLD_5f1.2_29.html">so:libfold.so.1(FOLD_1.2)</a></li>');
    const depends = /<dt>Depends on<\/dt><dd>([\s\S]*?)<\/dd>/.exec(page('user'))![1]!;
    expect(depends).toMatch(/<details open><summary>2 symbol versions <span class="bad">\(1 unmet\)<\/span><\/summary>/);
    expect(depends).toMatch(/so:libfold\.so\.1\(FOLD_9\.9\)[^<]*\(nothing provides it\)/);
    // A plain package name stays its own item.
    expect(depends).toContain('<li><a href="../p/libfold.html">libfold</a></li>');
  });

  it('a release page: pinned versions, total size, what changed from the release before, a size chart', () => {
    const r = read('r/zos-release@3.11.0.html');
    expect(r).toMatch(/containerd<\/a> 1\.7\.0 — <span class="chg up">upgraded from 1\.6\.18/);
    expect(r).toMatch(/libgreet<\/a> 1\.1 — <span class="chg up">upgraded from 1\.0/);
    expect(r).toMatch(/mycelium<\/a> 0\.7\.3 — <span class="chg new">added/);
    expect(r).toMatch(/tinymail<\/a> 1\.0 — <span class="chg gone">removed/);
    expect(r).toContain('zpkg sync --set zos-release=3.11.0');
    expect(r).toMatch(/<svg[^>]*class="chart"[\s\S]*containerd 1\.7\.0[\s\S]*<\/svg>/);
    const older = read('r/zos-release@3.10.0.html');
    expect(older).toContain('The first release of zos-release');
    // the total is the sum of the catalog's sizes of the set and its members
    const list = ok(['--json', 'repo', 'list', repo]).json.packages as { name: string; version: string; installedSize: number }[];
    const pins: Record<string, string> = { 'zos-release': '3.11.0', 'zos-base': '1.0', libgreet: '1.1', hello: '2.0', runc: '1.1.4', containerd: '1.7.0', mycelium: '0.7.3' };
    const total = list.filter((p) => pins[p.name] === p.version).reduce((s, p) => s + p.installedSize, 0);
    const kib = (total / 1024).toFixed(1);
    expect(r).toContain(`${kib} KiB installed`);
  });

  it('the repository page: keys with fingerprints, threshold, signature status, version, expiry, the remote add line', () => {
    const page = read('repository.html');
    const root = JSON.parse(readFileSync(join(repo, 'root.json'), 'utf8')).signed;
    const keyId = Object.keys(root.keys)[0]!;
    expect(page).toContain(keyId);
    expect(page).toContain(`ed25519:${root.keys[keyId].public}`);
    expect(page).toMatch(/<span class="good">valid<\/span>: signed by 1 of its 1 key, 1 required/);
    expect(page).toContain(`version ${root.version}`);
    expect(page).toContain(`data-expires="${root.expires}"`);
    expect(page).toContain(`zpkg remote add NAME https://pkg.example.org/zos --key ed25519:${root.keys[keyId].public}`);
  });

  it('escapes HTML from the repository everywhere: summaries, descriptions, licenses, paths', () => {
    for (const file of ['p/evil.html', 'browse/1.html']) {
      const html = read(file);
      expect(html, file).not.toContain('<script>window.__pwned');
      expect(html, file).not.toContain('<img src=x');
      expect(html, file).toContain('&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;&lt;script&gt;');
    }
    expect(read('p/evil.html')).toContain('&lt;i&gt;MIT&lt;/i&gt;');
    expect(read('p/evil.html')).toContain('/usr/share/evil/&lt;b&gt;x&lt;/b&gt;.txt');
    // the search index carries the summary as data, in a JSON string
    const names = /data-names="([^" ]+)/.exec(read('index.html'))![1]!;
    expect(read(names)).toContain(JSON.stringify(EVIL_SUMMARY).slice(1, -1));
  });

  it('renders again without rewriting what did not change, and removes only pages it wrote that are gone', () => {
    const args = ['--json', 'repo', 'site', repo, '--out', site, '--base-url', 'https://pkg.example.org/zos'];
    const again = ok(args).json;
    expect(again.written).toMatchObject({ files: first.written.files, unchanged: first.written.files, removed: 0 });

    // a publish changes the pages it touches: the new package's, its dependency's reverse dependencies, the index, browse, search, repository
    const hello = readFileSync(join(site, 'p/hello.html'));
    const runc = readFileSync(join(site, 'p/runc.html'));
    ok(['build', writePackage(join(work, 'extra'), { name: 'extra', version: '1.0', summary: 'one more', depends: ['hello'] }, { 'usr/bin/extra': 'x\n' }), '--repo', repo]);
    const after = ok(args).json;
    const rewritten = after.written.files - after.written.unchanged;
    expect(rewritten).toBeGreaterThanOrEqual(6);
    expect(rewritten).toBeLessThanOrEqual(10);
    expect(after.written.removed).toBe(2); // the old search shards (content-named)
    expect(readFileSync(join(site, 'p/hello.html')).equals(hello)).toBe(false);
    expect(readFileSync(join(site, 'p/runc.html')).equals(runc)).toBe(true);
    expect(read('p/hello.html')).toContain('href="../p/extra.html"');

    ok(['repo', 'remove', repo, 'extra@1.0']);
    const removed = ok(args).json;
    expect(existsSync(join(site, 'p/extra.html'))).toBe(false);
    expect(removed.written.removed).toBeGreaterThanOrEqual(3); // its page, its provided name's page, the search shards
    expect(read('p/hello.html')).not.toContain('extra');
  });

  it('a render killed midway is taken up by the next: no refusal, and no page left that no record names', () => {
    /** The files of a site directory, without the record. */
    const files = (dir: string): string[] => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile() && f !== '.zpkg-site.json').sort();
    const fresh = join(work, 'fresh');
    ok(['repo', 'site', repo, '--out', fresh]);
    // The first render into a new directory, killed at its fifth file: before, the next render refused the directory
    // (`holds files zpkg did not write`), as no record had been written yet.
    const out = join(work, 'stopped');
    const args = ['--json', 'repo', 'site', repo, '--out', out];
    expect(zpkg(args, { env: { ZPKG_CRASH_AT: 'site-page:5' } }).signal).toBe('SIGKILL');
    expect(existsSync(join(out, '.zpkg-site.json'))).toBe(false);
    expect(readFileSync(join(out, '.zpkg-site.pending'), 'utf8').trim().split('\n')).toHaveLength(5);
    ok(args);
    expect(files(out)).toEqual(files(fresh));

    // A render that adds a package's page, killed before its last file (the index): the package's page is written and
    // named by no record. Once the package is removed, the next render removes that page too; before, it stayed.
    ok(['build', writePackage(join(work, 'brief'), { name: 'brief', version: '1.0', summary: 'here briefly' }, { 'usr/bin/brief': 'b\n' }), '--repo', repo]);
    const probe = join(work, 'probe');
    cpSync(out, probe, { recursive: true });
    const w = ok(['--json', 'repo', 'site', repo, '--out', probe]).json.written;
    expect(zpkg(args, { env: { ZPKG_CRASH_AT: `site-page:${w.files - w.unchanged - 1}` } }).signal).toBe('SIGKILL');
    expect(existsSync(join(out, 'p/brief.html'))).toBe(true);
    ok(['repo', 'remove', repo, 'brief@1.0']);
    ok(args);
    expect(existsSync(join(out, 'p/brief.html'))).toBe(false);
    expect(files(out)).toEqual(files(fresh));
  });

  it('lives beside the repository in its own directory: the repository stays valid and is never touched by a re-render', () => {
    const r = join(work, 'beside');
    ok(['repo', 'create', r]);
    ok(['build', writePackage(join(work, 'b1'), { name: 'b1', version: '1', summary: 'beside' }, { 'usr/bin/b1': 'b\n' }), '--repo', r]);
    const before = snapshot(r);
    ok(['repo', 'site', r, '--out', r]);
    expect(existsSync(join(r, 'index.html'))).toBe(true);
    ok(['repo', 'verify', r]);
    ok(['repo', 'remove', r, 'b1@1']);
    ok(['repo', 'site', r, '-o', r]); // -o as export-flist's
    ok(['repo', 'verify', r]);
    // every repository file written before is still there (remove only writes new catalog and root)
    const now = new Set(snapshot(r).map((l) => l.split(' ')[0]));
    for (const line of before) expect(now.has(line.split(' ')[0]!), line).toBe(true);
    expect(existsSync(join(r, 'p/b1.html'))).toBe(false);
  });

  it('refuses an output directory holding files it did not write, and changes nothing', () => {
    const out = join(work, 'foreign');
    mkdirSync(out);
    writeFileSync(join(out, 'index.html'), 'mine');
    const r = zpkg(['--json', 'repo', 'site', repo, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_OUTPUT_CONFLICT', message: expect.stringMatching(/holds files zpkg did not write \(index\.html\)/) });
    expect(readdirSync(out)).toEqual(['index.html']);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toBe('mine');
  });

  it('refuses a broken catalog before writing anything', () => {
    const broken = join(work, 'broken');
    ok(['repo', 'create', broken]);
    ok(['build', writePackage(join(work, 'c1'), { name: 'c1', version: '1' }, { 'usr/bin/c1': 'c\n' }), '--repo', broken]);
    const digest = JSON.parse(readFileSync(join(broken, 'root.json'), 'utf8')).signed.catalog.digest.slice(7);
    writeFileSync(join(broken, 'catalog', `${digest}.zst`), 'not a catalog');
    const out = join(work, 'broken-site');
    mkdirSync(out);
    const r = zpkg(['--json', 'repo', 'site', broken, '--out', out]);
    expect(r.status).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_DIGEST_MISMATCH', message: expect.stringMatching(/catalog .* is corrupt/) });
    expect(readdirSync(out)).toEqual([]);
  });

  it('takes only an http(s) --base-url and a whole --threads (usage errors, exit 2)', () => {
    const out = join(work, 'usage');
    expect(zpkg(['repo', 'site', repo, '--out', out, '--base-url', 'pkg.example.org']).status).toBe(2);
    expect(zpkg(['repo', 'site', repo, '--out', out, '--threads', 'many']).status).toBe(2);
    expect(zpkg(['repo', 'site', repo]).status).toBe(2);
    expect(existsSync(out)).toBe(false);
  });
});

describe('slug', () => {
  it('is one-to-one and safe as a file name and URL segment', () => {
    const names = ['g++', 'g__', 'g_2b_2b', 'so:libc.so.6(GLIBC_2.34)', 'file:/usr/bin/python3', '1:2.3~rc1+dfsg-1', 'a@b', 'x'.repeat(300), `${'x'.repeat(299)}y`];
    const slugs = names.map(slug);
    expect(new Set(slugs).size).toBe(names.length);
    for (const s of slugs) {
      expect(s).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(s.length).toBeLessThanOrEqual(180);
    }
    expect(slug('g++')).toBe('g_2b_2b');
    expect(slug('containerd')).toBe('containerd');
  });
});

describe('transitiveReduction', () => {
  const reach = (n: number, edges: [number, number][]): string => {
    const out: string[] = [];
    for (let a = 0; a < n; a++) {
      const seen = new Set<number>();
      const stack = [a];
      while (stack.length) {
        const n = stack.pop()!;
        for (const [x, y] of edges) if (x === n && !seen.has(y)) (seen.add(y), stack.push(y));
      }
      out.push([...seen].sort().join(','));
    }
    return out.join(';');
  };
  it('drops implied edges and keeps what reaches what, cycles included', () => {
    const chain: [number, number][] = [[0, 1], [1, 2], [0, 2], [0, 3], [3, 2]];
    expect(transitiveReduction(4, chain)).toEqual([[0, 1], [1, 2], [0, 3], [3, 2]]);
    const cyclic: [number, number][] = [[0, 1], [0, 2], [1, 2], [2, 1], [2, 3], [1, 3], [0, 3]];
    const reduced = transitiveReduction(4, cyclic);
    expect(reduced.length).toBeLessThan(cyclic.length);
    expect(reach(4, reduced)).toBe(reach(4, cyclic));
  });
});
