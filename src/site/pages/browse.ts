/** Every package by name, a page at a time, with the name ranges of every page to jump to. */
import { formatBytes, formatCount, h, paths, rel } from '../html.js';
import type { SiteModel } from '../model.js';
import { page, type SiteMeta } from './shell.js';

export const BROWSE_PAGE = 500;

export function browsePages(model: SiteModel, meta: SiteMeta): { path: string; html: string }[] {
  const count = Math.max(1, Math.ceil(model.names.length / BROWSE_PAGE));
  const ranges = Array.from({ length: count }, (_, i) => {
    const names = model.names.slice(i * BROWSE_PAGE, (i + 1) * BROWSE_PAGE);
    return { n: i + 1, names, label: names.length ? `${names[0]} – ${names[names.length - 1]}` : 'empty' };
  });
  return ranges.map((r) => {
    const from = paths.browse(r.n);
    const pager = count > 1 ? h`<nav class="pager" aria-label="Pages of packages"><ol>${ranges.map((x) => h`<li>${x.n === r.n ? h`<span aria-current="page">${x.label}</span>` : h`<a href="${rel(from, paths.browse(x.n))}">${x.label}</a>`}</li>`)}</ol></nav>` : h``;
    const body = h`<h1>Packages</h1><p>${formatCount(model.names.length)} packages${count > 1 ? `, page ${r.n} of ${count}` : ''}.</p>${pager}
<div class="scroll"><table><caption class="vh">Packages ${r.label}</caption><thead><tr><th scope="col">Package</th><th scope="col">Newest</th><th scope="col" class="num">Installed</th><th scope="col">Summary</th></tr></thead><tbody>
${r.names.map((name) => {
  const e = model.packages.get(name)!.versions[0]!.entry;
  return h`<tr><td><a href="${rel(from, paths.pkg(name))}">${name}</a></td><td>${e.version}</td><td class="num">${formatBytes(e.installedSize)}</td><td>${e.summary}</td></tr>`;
})}</tbody></table></div>`;
    return { path: from, html: page(meta, { path: from, title: count > 1 ? `Packages ${r.label}` : 'Packages', body }) };
  });
}
