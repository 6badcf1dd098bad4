/**
 * The catalogue in a real browser (Debian's Chromium through playwright-core):
 * served by nginx beside the repository and by `zpkg serve`, and opened from
 * a file:// URL. Search by name and by a delivered path, a dependency link
 * followed (in the relations and in the graph), a release set opened to its
 * pinned versions, the graph's SVG naming the dependencies; HTML from the
 * repository shown and never run (with and without the pages' CSP); keyboard
 * use; axe-core's findings; a broken search index and a broken catalogue
 * giving a clear message; the depot rendering again after a publish.
 * Screenshots go to .cache/test-output/site-browser/.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axe, launchBrowser, outputDir, type AxeFinding } from './helpers/browser.js';
import { within } from './helpers/process.js';
import { startDepot, startNginx, type Server } from './helpers/servers.js';
import { EVIL_SUMMARY, buildSiteRepo } from './helpers/site-repo.js';
import { ok, tempDir, writePackage } from './helpers/zpkg.js';
import { findPackagesIndex } from '#debian-index';
import { openRepoReader } from '../src/repo/open.js';
import { renderSite } from '../src/site/index.js';
import type { Nginx } from '../bench/nginx.js';

const TOKEN = 'site-browser-token';
let work: string;
let repo: string;
let nginx: Nginx;
let depot: Server;
let browser: BrowserContext;
let page: Page;
const shots = outputDir('site-browser');
const findings: Record<string, AxeFinding[]> = {};

async function waitFor(url: string, status = 200): Promise<void> {
  // bounds a hang only: the depot renders in a worker thread
  for (let i = 0; i < 600; i++) {
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === status) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`${url} never answered ${status}`);
}

async function search(p: Page, query: string): Promise<void> {
  await p.fill('#q', '');
  await p.fill('#q', query);
  await p.waitForFunction((q) => document.getElementById('results')?.dataset.query === q && document.getElementById('search')?.dataset.loaded === 'true', query);
}

const resultNames = (p: Page): Promise<string[]> => p.$$eval('#results li .rn', (els) => els.map((e) => e.textContent ?? ''));

beforeAll(async () => {
  work = tempDir('zpkg-site-browser-');
  repo = buildSiteRepo(work);
  // nginx serves the repository directory; the site is rendered into it, next to the repository files
  nginx = await startNginx(repo, { mimeTypes: true });
  ok(['repo', 'site', repo, '--out', repo, '--base-url', nginx.url, '--title', 'zos packages']);
  depot = await startDepot(repo, [TOKEN]);
  browser = await launchBrowser();
  page = await browser.newPage();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await depot?.stop();
  await nginx?.stop();
  for (const [where, list] of Object.entries(findings)) {
    console.log(`axe-core on ${where}: ${list.length === 0 ? 'no violations' : list.map((f) => `${f.id} (${f.impact}, ${f.nodes} nodes: ${f.help})`).join('; ')}`);
  }
  console.log(`screenshots: ${shots}`);
});

describe('the catalogue served by nginx beside the repository', { timeout: 600_000 }, () => {
  it('searches by name and by a delivered path', async () => {
    await page.goto(`${nginx.url}/index.html`);
    await search(page, 'containerd');
    expect((await resultNames(page))[0]).toBe('containerd');
    await search(page, 'usr/bin/hello');
    expect(await resultNames(page)).toEqual(['hello']);
    expect(await page.textContent('#results li')).toContain('delivers /usr/bin/hello');
    await search(page, '/etc/zinit/mycelium.yaml');
    expect(await resultNames(page)).toEqual(['mycelium']);
    await search(page, 'overlay network'); // words of a summary
    expect(await resultNames(page)).toEqual(['mycelium']);
    await search(page, 'no-such-thing');
    expect(await page.textContent('#search-status')).toContain('No package matches');
    await search(page, 'lib');
    await page.screenshot({ path: join(shots, 'index.png'), fullPage: true });
    // a result is a link to the package page
    await page.click('#results a:has-text("libgreet")');
    await page.waitForURL(/\/p\/libgreet\.html$/);
    expect(await page.textContent('h1')).toBe('libgreet');
  });

  it('follows a dependency link and the graph names the dependencies', async () => {
    await page.goto(`${nginx.url}/p/hello.html`);
    const svg = page.locator('[id="v-2.0"] svg.graph');
    await expect.poll(() => svg.count()).toBe(1);
    const labels = await svg.locator('text').allTextContents();
    expect(labels).toEqual(expect.arrayContaining(['hello', 'libgreet', 'zos-base']));
    expect(await svg.getAttribute('aria-labelledby')).toBeTruthy();
    expect(await page.locator('[id="v-2.0"] svg.graph title').textContent()).toMatch(/Dependency closure of hello 2\.0: (libgreet, zos-base|zos-base, libgreet)/);
    expect((await svg.boundingBox())!.width).toBeGreaterThan(100);
    await page.screenshot({ path: join(shots, 'package.png'), fullPage: true });
    await page.click('dl.facts a:text-is("libgreet")');
    await page.waitForURL(/\/p\/libgreet\.html$/);
    expect(await page.textContent('.lead')).toBe('a greeting library');
    await page.goBack();
    await page.click('[id="v-2.0"] svg.graph a[href$="zos-base.html"]');
    await page.waitForURL(/\/p\/zos-base\.html$/);
    expect(await page.textContent('h1')).toBe('zos-base');
  });

  it('opens a release set and shows its pinned versions and what changed', async () => {
    await page.goto(`${nginx.url}/index.html`);
    await page.click('a:text-is("zos-release")');
    await page.waitForURL(/\/s\/zos-release\.html$/);
    await page.click('a:text-is("3.11.0")');
    await page.waitForURL(/\/r\/zos-release@3\.11\.0\.html$/);
    const rows = await page.$$eval('table.pins tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 2).map((td) => td.textContent).join(' ')));
    expect(rows).toEqual(['containerd 1.7.0', 'hello 2.0', 'libgreet 1.1', 'mycelium 0.7.3', 'runc 1.1.4', 'zos-base 1.0']);
    const changes = await page.locator('h2:text("What changed") + ul li').allTextContents();
    expect(changes).toEqual(['containerd 1.7.0 — upgraded from 1.6.18', 'libgreet 1.1 — upgraded from 1.0', 'mycelium 0.7.3 — added', 'tinymail 1.0 — removed']);
    expect(await page.locator('svg.chart rect.bar').count()).toBe(6);
    await page.screenshot({ path: join(shots, 'release.png'), fullPage: true });
  });

  it('shows HTML from the repository as text and runs none of it (with the CSP and without it)', async () => {
    for (const ctx of [browser, await launchBrowser({ bypassCSP: true })]) {
      const p = await ctx.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(e.message));
      await p.goto(`${nginx.url}/p/evil.html`);
      expect(await p.textContent('.lead')).toBe(EVIL_SUMMARY);
      expect(await p.locator('main img, main script, main b, main i').count()).toBe(0);
      await p.goto(`${nginx.url}/index.html?q=pwned`);
      await p.waitForFunction(() => document.getElementById('search')?.dataset.loaded === 'true' && document.getElementById('results')?.dataset.query === 'pwned');
      expect(await p.textContent('#results .rs')).toBe(` ${EVIL_SUMMARY}`);
      expect(await p.locator('#results img').count()).toBe(0);
      expect(await p.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(errors).toEqual([]);
      await p.close();
      if (ctx !== browser) await ctx.close();
    }
  });

  it('works from the keyboard: skip link, arrows from the search box into the results, Enter to open', async () => {
    await page.goto(`${nginx.url}/index.html`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.focus('#q');
    await page.keyboard.type('runc');
    await page.waitForFunction(() => document.getElementById('results')?.dataset.query === 'runc');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => document.activeElement?.closest('#results') !== null)).toBe(true);
    await page.keyboard.press('ArrowUp');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('q');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/p\/runc\.html$/);
  });

  it('says how far away the expiry is, and passes axe-core (WCAG 2.1 A/AA, best practices)', async () => {
    for (const [name, path] of [['index', 'index.html?q=lib'], ['package', 'p/containerd.html'], ['release', 'r/zos-release@3.11.0.html'], ['repository', 'repository.html'], ['browse', 'browse/1.html']] as const) {
      await page.goto(`${nginx.url}/${path}`);
      if (name === 'index') await page.waitForFunction(() => document.getElementById('search')?.dataset.loaded === 'true');
      if (name === 'repository') {
        expect(await page.textContent('[data-expiry-status]')).toMatch(/^\(in (29|30) days\)$/);
        await page.screenshot({ path: join(shots, 'repository.png'), fullPage: true });
      }
      findings[name] = await axe(page);
      expect(findings[name]!.filter((f) => f.impact === 'serious' || f.impact === 'critical'), name).toEqual([]);
    }
    // the dark scheme's colours too
    const dark = await launchBrowser({ colorScheme: 'dark' });
    const p = await dark.newPage();
    await p.goto(`${nginx.url}/p/hello.html`);
    findings['package (dark)'] = await axe(p);
    await p.screenshot({ path: join(shots, 'package-dark.png'), fullPage: true });
    await dark.close();
    expect(findings['package (dark)']!.filter((f) => f.impact === 'serious' || f.impact === 'critical')).toEqual([]);
  });

  it('works from a file:// URL, and says so clearly when its search index is missing', async () => {
    const copy = join(work, 'copy');
    cpSync(repo, copy, { recursive: true });
    await page.goto(pathToFileURL(join(copy, 'index.html')).href);
    await search(page, 'mycelium');
    expect(await resultNames(page)).toEqual(['mycelium']);
    const shard = /data-names="([^" ]+)/.exec(readFileSync(join(copy, 'index.html'), 'utf8'))![1]!;
    rmSync(join(copy, shard));
    await page.goto(`${pathToFileURL(join(copy, 'index.html')).href}?q=hello`);
    await page.waitForFunction(() => document.getElementById('search')?.dataset.loaded === 'error');
    expect(await page.textContent('#search-status')).toMatch(/The search index could not be loaded \(search\/n-[0-9a-f]+\.js\)/);
    expect(await page.getAttribute('#search-status', 'class')).toBe('bad');
  });
});

describe('the catalogue served by zpkg serve', { timeout: 600_000 }, () => {
  it('serves the same pages at / beside the repository files, and renders again when a publish lands', async () => {
    await waitFor(`${depot.url}/`);
    const index = await fetch(`${depot.url}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await fetch(`${depot.url}/root.json`)).headers.get('content-type')).toBe('application/json');
    await page.goto(`${depot.url}/`);
    await search(page, 'usr/bin/runc');
    expect(await resultNames(page)).toEqual(['runc']);
    await page.click('#results a');
    await page.waitForURL(/\/p\/runc\.html$/);
    expect(await page.locator('svg.graph text').allTextContents()).toEqual(expect.arrayContaining(['runc', 'zos-base']));

    ok(['build', writePackage(join(work, 'fresh'), { name: 'freshly-published', version: '0.1', summary: 'published through the depot', depends: ['runc'] }, { 'usr/bin/fresh': 'x\n' }), '--repo', depot.url, '--token', TOKEN]);
    await waitFor(`${depot.url}/p/freshly-published.html`);
    await page.goto(`${depot.url}/`);
    await search(page, 'freshly');
    expect(await resultNames(page)).toEqual(['freshly-published']);
    await page.goto(`${depot.url}/p/runc.html`);
    expect(await page.locator('#h-rdeps + p + ul').textContent()).toContain('freshly-published');

    // a publish written straight into the directory (not through the depot) is seen too: root.json is polled
    ok(['build', writePackage(join(work, 'direct'), { name: 'published-directly', version: '1.0', summary: 'written into the directory' }, { 'usr/bin/direct': 'x\n' }), '--repo', repo]);
    await waitFor(`${depot.url}/p/published-directly.html`);
  });

  it('shows a clear error page, not a blank one, for a broken catalogue', async () => {
    const broken = join(work, 'broken');
    ok(['repo', 'create', broken]);
    ok(['build', writePackage(join(work, 'b'), { name: 'b', version: '1' }, { 'usr/bin/b': 'b\n' }), '--repo', broken]);
    const digest = JSON.parse(readFileSync(join(broken, 'root.json'), 'utf8')).signed.catalog.digest.slice(7);
    writeFileSync(join(broken, 'catalog', `${digest}.zst`), 'garbage');
    const d = await startDepot(broken, []);
    try {
      await waitFor(`${d.url}/`, 503);
      // pending or error: wait for the error
      for (let i = 0; i < 900 && !(await (await fetch(`${d.url}/`)).text()).includes('E_DIGEST_MISMATCH'); i++) await new Promise((r) => setTimeout(r, 200));
      await page.goto(`${d.url}/p/b.html`);
      expect(await page.textContent('h1')).toBe('The catalogue of this repository cannot be shown');
      expect(await page.textContent('[role=alert]')).toMatch(/E_DIGEST_MISMATCH: .*catalog.* is corrupt/);
      await page.screenshot({ path: join(shots, 'broken-catalogue.png'), fullPage: true });
      expect((await fetch(`${d.url}/root.json`)).status).toBe(200);
    } finally {
      await d.stop();
    }
  });
});

let debianRepo: string | undefined;
/** Debian bookworm main imported as a catalog-only repository (once). */
function debian(): string {
  if (debianRepo === undefined) {
    const deb = join(work, 'debian');
    ok(['repo', 'import-index', findPackagesIndex(), '--repo', deb]);
    debianRepo = deb;
  }
  return debianRepo;
}

describe("Debian's catalogue (63,440 package versions) in the browser", () => {
  it('loads the sharded search index and answers each keystroke from it (the time per keystroke is printed, not asserted)', async () => {
    const deb = debian();
    const out = join(work, 'debian-site');
    // the index page and its search exactly as `repo site` writes them; the other 98,000 pages are bench/site.ts's
    const r = await renderSite(openRepoReader(deb), { out, searchOnly: true });
    expect(r.search.packages).toBeGreaterThan(60_000);
    expect(r.search.files).toBeGreaterThan(1);
    const server = await startNginx(out, { mimeTypes: true });
    try {
      const p = await browser.newPage();
      const t0 = performance.now();
      await p.goto(`${server.url}/index.html`);
      await p.waitForFunction(() => document.getElementById('search')?.dataset.loaded === 'true', undefined, { timeout: 120_000 });
      const loadMs = performance.now() - t0;
      const timings: { query: string; ms: number }[] = [];
      for (const word of ['libreoffice-writer', 'python3-numpy', 'openssh-server', 'x', 'web server', 'bash']) {
        await p.fill('#q', '');
        for (const ch of word) {
          await p.focus('#q');
          await p.keyboard.type(ch);
          const typed = await p.inputValue('#q');
          await p.waitForFunction((q) => document.getElementById('results')?.dataset.query === q.trim(), typed);
        }
        timings.push(...(await p.evaluate(() => (window as unknown as { zpkgSearchTimings: { query: string; ms: number }[] }).zpkgSearchTimings.splice(0))).filter((t) => t.query !== ''));
        if (word === 'bash') expect((await resultNames(p))[0]).toBe('bash');
        if (word === 'openssh-server') expect((await resultNames(p))[0]).toBe('openssh-server');
        if (word === 'web server') expect((await resultNames(p)).length).toBeGreaterThan(10);
      }
      await p.screenshot({ path: join(shots, 'debian-search.png') });
      const ms = timings.map((t) => t.ms).sort((a, b) => a - b);
      const q = (f: number): string => ms[Math.min(ms.length - 1, Math.floor(f * ms.length))]!.toFixed(1);
      const worst = timings.reduce((a, b) => (b.ms > a.ms ? b : a));
      console.log(
        `Debian search in Chromium: ${r.search.packages} packages in ${r.search.files} index files (${(r.search.bytes / 2 ** 20).toFixed(1)} MiB), loaded in ${(loadMs / 1000).toFixed(2)} s; ` +
          `${ms.length} keystrokes: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${worst.ms.toFixed(1)} ms (“${worst.query}”), ${ms.filter((x) => x < 100).length} of ${ms.length} under 100 ms`,
      );
      await p.close();
    } finally {
      await server.stop();
    }
  }, 600_000);

  it('a depot told to stop while it renders the catalogue stops the render rather than waiting for it', async () => {
    // The whole site of this repository is ~200 s of CPU (README, "The web catalogue"); the depot waited for it.
    const d = await startDepot(debian(), []);
    try {
      await waitFor(`${d.url}/`, 503);
      expect(await (await fetch(`${d.url}/`)).text()).not.toContain('E_');
      await within(d.stop(), 30_000, 'the depot did not exit after SIGTERM');
    } finally {
      try {
        process.kill(d.pid!, 'SIGKILL');
      } catch {
        // exited
      }
    }
  }, 600_000);
});
