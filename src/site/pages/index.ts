/** The front page: what the repository holds, the search, the release sets and the way into every package. */
import { formatCount, formatTime, h, paths, plural } from '../html.js';
import type { SiteModel } from '../model.js';
import type { SearchIndex } from '../search-index.js';
import { BROWSE_PAGE } from './browse.js';
import { summaryOfChanges } from './release.js';
import { page, type SiteMeta } from './shell.js';

const INLINE_NAMES = 150;
const INLINE_SETS = 10;

export function indexPage(model: SiteModel, meta: SiteMeta, search: SearchIndex): string {
  const root = model.input.root;
  const versions = model.input.entries.length;
  const signed = root.threshold > 0;
  const body = h`<h1>${meta.title}</h1>
<ul class="stats"><li>${plural(model.names.length, 'package')} (${plural(versions, 'version')})</li><li>${plural(model.sets.length, 'release set')}</li>
<li>root metadata version ${root.version}, published <time datetime="${root.created}">${formatTime(root.created)}</time></li>
<li>${signed ? h`signed (${root.threshold} of ${Object.keys(root.keys).length} keys)${root.expires ? h`, expires <time datetime="${root.expires}" data-expires="${root.expires}">${formatTime(root.expires)}</time> <span data-expiry-status></span>` : ''}` : h`<span class="bad">unsigned</span>`} — <a href="${paths.repository}">keys and signatures</a></li></ul>
<section id="search" aria-labelledby="h-search" data-names="${search.names.map((f) => f.path).join(' ')}" data-paths="${search.paths.map((f) => f.path).join(' ')}">
<h2 id="h-search">Search</h2>
<form role="search" action="index.html" method="get"><label for="q">Package name, words of its summary, or a path it delivers</label>
<input id="q" name="q" type="search" autocomplete="off" spellcheck="false" aria-describedby="search-status" aria-controls="results"></form>
<p id="search-status" role="status" aria-live="polite"></p>
<ol id="results" aria-label="Search results"></ol>
<noscript><p>Search needs JavaScript: <a href="${paths.browse(1)}">browse every package</a> instead.</p></noscript>
</section>
<section aria-labelledby="h-sets"><h2 id="h-sets">Release sets</h2>
${model.sets.length === 0 ? h`<p>No release sets.</p>` : h`<ul>${model.sets.slice(0, INLINE_SETS).map((s) => h`<li><a href="${paths.set(s.name)}">${s.name}</a>: newest <a href="${paths.release(s.name, s.releases[0]!.version)}">${s.releases[0]!.version}</a>, ${plural(s.releases[0]!.members.length, 'package')} (${summaryOfChanges(s.releases[0]!)})</li>`)}</ul>${model.sets.length > INLINE_SETS ? h`<p><a href="sets.html">All ${formatCount(model.sets.length)} release sets</a></p>` : ''}`}
</section>
<section aria-labelledby="h-pkgs"><h2 id="h-pkgs">Packages</h2>
${model.names.length <= INLINE_NAMES ? h`<ul class="cols">${model.names.map((n) => h`<li><a href="${paths.pkg(n)}">${n}</a> <span class="muted">${model.packages.get(n)!.versions[0]!.entry.version}</span></li>`)}</ul>` : h`<p><a href="${paths.browse(1)}">Browse all ${formatCount(model.names.length)} packages</a> (${formatCount(Math.ceil(model.names.length / BROWSE_PAGE))} pages of ${BROWSE_PAGE}).</p>`}
</section>`;
  return page(meta, { path: paths.index, title: 'Catalogue', body, headerSearch: false });
}
