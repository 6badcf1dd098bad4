/**
 * `zpkg repo site`: a repository's catalogue as static pages. The repository
 * is read and checked in full before anything is written (a broken one
 * changes nothing); then the assets and search index, every package, virtual
 * name, release set and release page, the browse pages, the repository page,
 * and the index last, so a reader who sees the new index finds everything it
 * names. Graphs are laid out by a pool of threads while pages are written.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { RepoReader } from '../repo/backend.js';
import { paths } from './html.js';
import { createLayout, type Layout } from './layout.js';
import { loadSiteInput } from './load.js';
import { buildModel, type PackageModel, type SiteModel } from './model.js';
import { browsePages } from './pages/browse.js';
import { indexPage } from './pages/index.js';
import { FILES_INLINE, packagePage, type VersionPicture } from './pages/package.js';
import { releasePage, setPage, setsPage } from './pages/release.js';
import { repositoryPage } from './pages/repository.js';
import type { SiteMeta } from './pages/shell.js';
import { virtualPage } from './pages/virtual.js';
import { pictureJob, type PictureJob } from './pictures.js';
import { buildSearchIndex, type SearchIndex } from './search-index.js';
import { browserMain } from './assets/browser.js';
import { STYLE } from './assets/style.js';
import { checkOutput, SiteWriter, type WriteStats } from './write.js';

export interface SiteOptions {
  /** The directory the pages go to. */
  out: string;
  /** The repository's public URL: shown in `remote add` and used for links to its files. */
  baseUrl?: string;
  title?: string;
  /** The clock the pages are made by (expiry status). */
  now?: Date;
  /** Threads laying out graphs; default: up to 4 for a large repository, none for a small one. */
  threads?: number;
  /** Packages drawn per closure graph. */
  graphNodes?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
  /**
   * Only the index page, its assets and the search index (no other page, no
   * graph): a quick way to try the search of a large repository; the index's
   * links to other pages lead nowhere. The browser test measures search on
   * Debian's catalogue this way.
   */
  searchOnly?: boolean;
}

export interface SiteResult {
  out: string;
  repository: string;
  rootVersion: number;
  pages: { packages: number; virtual: number; sets: number; releases: number; browse: number; total: number };
  graphs: number;
  search: { packages: number; paths: number; files: number; bytes: number };
  written: WriteStats;
  seconds: { read: number; model: number; render: number; total: number };
}

const BATCH = 200;
const LARGE = 2000;

function hashed(name: string, ext: string, content: string): string {
  return `assets/${name}-${createHash('sha256').update(content).digest('hex').slice(0, 16)}.${ext}`;
}

export async function renderSite(reader: RepoReader, options: SiteOptions): Promise<SiteResult> {
  const t0 = performance.now();
  const previous = checkOutput(options.out);
  const input = await loadSiteInput(reader, options.onProgress);
  const t1 = performance.now();
  const model = buildModel(input);
  const t2 = performance.now();
  const baseUrl = options.baseUrl?.replace(/\/+$/, '');

  const css = STYLE;
  const js = `(${browserMain.toString()})();\n`;
  const meta: SiteMeta = {
    title: options.title ?? (baseUrl ? `Packages of ${baseUrl}` : 'zpkg repository'),
    css: hashed('site', 'css', css),
    js: hashed('site', 'js', js),
    rootVersion: input.root.version,
    created: input.root.created,
  };
  const out = new SiteWriter(options.out, previous);
  out.write(meta.css, css);
  out.write(meta.js, js);
  const search = buildSearchIndex(model);
  for (const f of [...search.names, ...search.paths]) out.write(f.path, f.content);

  if (options.searchOnly) {
    out.write(paths.index, indexPage(model, meta, search));
    const written = out.finish();
    const t3 = performance.now();
    return {
      out: options.out,
      repository: input.location,
      rootVersion: input.root.version,
      pages: { packages: 0, virtual: 0, sets: 0, releases: 0, browse: 0, total: 1 },
      graphs: 0,
      search: searchStats(search),
      written,
      seconds: { read: (t1 - t0) / 1000, model: (t2 - t1) / 1000, render: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
    };
  }

  const versions = input.entries.length;
  const threads = options.threads ?? (versions >= LARGE ? Math.min(4, availableParallelism()) : 0);
  const layout = await createLayout(threads);
  let graphs = 0;
  try {
    graphs = await writePackagePages(model, meta, out, layout, { baseUrl, threads, limit: options.graphNodes, onProgress: options.onProgress });
  } finally {
    await layout.close();
  }

  let virtual = 0;
  for (const [name, providers] of model.providers) {
    if (model.packages.has(name)) continue;
    out.write(paths.virtual(name), virtualPage(meta, name, providers, model.dependents(name)));
    virtual += 1;
  }
  let releases = 0;
  for (const set of model.sets) {
    out.write(paths.set(set.name), setPage(meta, set));
    for (const r of set.releases) {
      out.write(paths.release(set.name, r.version), releasePage(meta, set, r));
      releases += 1;
    }
  }
  out.write('sets.html', setsPage(meta, model.sets));
  const browse = browsePages(model, meta);
  for (const b of browse) out.write(b.path, b.html);
  out.write(paths.repository, repositoryPage(model, meta, baseUrl, options.now ?? new Date()));
  out.write(paths.index, indexPage(model, meta, search));
  const written = out.finish();
  const t3 = performance.now();
  return {
    out: options.out,
    repository: input.location,
    rootVersion: input.root.version,
    pages: {
      packages: model.names.length,
      virtual,
      sets: model.sets.length,
      releases,
      browse: browse.length,
      total: model.names.length + virtual + model.sets.length + releases + browse.length + 3,
    },
    graphs,
    search: searchStats(search),
    written,
    seconds: { read: (t1 - t0) / 1000, model: (t2 - t1) / 1000, render: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  };
}

function searchStats(search: SearchIndex): SiteResult['search'] {
  const files = [...search.names, ...search.paths];
  return { packages: search.packages, paths: search.pathCount, files: files.length, bytes: files.reduce((s, f) => s + f.content.length, 0) };
}

interface PackagePagesOptions {
  baseUrl: string | undefined;
  threads: number;
  limit: number | undefined;
  onProgress: SiteOptions['onProgress'];
}

/** Package pages in batches: closures and graph jobs here, layouts in the pool, a window of batches in flight. */
async function writePackagePages(model: SiteModel, meta: SiteMeta, out: SiteWriter, layout: Layout, o: PackagePagesOptions): Promise<number> {
  const batches: PackageModel[][] = [];
  for (let i = 0; i < model.names.length; i += BATCH) batches.push(model.names.slice(i, i + BATCH).map((n) => model.packages.get(n)!));
  let graphs = 0;
  let done = 0;
  const start = async (batch: PackageModel[]): Promise<{ batch: PackageModel[]; pictures: PictureJob[][]; svgs: string[] }> => {
    const pictures = batch.map((p) => p.versions.map((v) => pictureJob(model, v.entry, o.limit)));
    const jobs = pictures.flat().flatMap((p) => (p.job ? [p.job] : []));
    return { batch, pictures, svgs: jobs.length ? await layout.draw(jobs) : [] };
  };
  const windowSize = Math.max(1, o.threads * 2);
  const inflight: Promise<Awaited<ReturnType<typeof start>>>[] = [];
  let next = 0;
  while (next < batches.length && inflight.length < windowSize) inflight.push(start(batches[next++]!));
  while (inflight.length > 0) {
    const { batch, pictures, svgs } = await inflight.shift()!;
    if (next < batches.length) inflight.push(start(batches[next++]!));
    let k = 0;
    batch.forEach((pkg, i) => {
      const pics: VersionPicture[] = pictures[i]!.map((p) => ({ closure: p.closure, svg: p.job ? svgs[k++]! : '', drawn: p.drawn }));
      graphs += pics.filter((p) => p.svg !== '').length;
      out.write(paths.pkg(pkg.name), packagePage({ model, meta, pkg, pictures: pics, baseUrl: o.baseUrl }));
      for (const v of pkg.versions) if (v.paths.length > FILES_INLINE) out.write(paths.fileList(pkg.name, v.entry.version), `${v.paths.map((p) => `/${p}`).join('\n')}\n`);
    });
    done += batch.length;
    o.onProgress?.('packages', done, model.names.length);
  }
  return graphs;
}
