/**
 * Release set pages: one per release (its pinned versions, its total size,
 * what changed from the release before, its size by package as a chart) and
 * one per set listing its releases; `sets.html` lists every set.
 */
import { formatBytes, formatCount, h, paths, plural, raw, rel, versionAnchor, type Html } from '../html.js';
import type { Member, Release, ReleaseSet } from '../release-sets.js';
import { sizeChart, type Bar } from '../chart.js';
import { page, type SiteMeta } from './shell.js';

function changeOf(m: Member): Html {
  switch (m.change) {
    case 'new':
      return h`<span class="chg new">added</span>`;
    case 'upgraded':
      return h`<span class="chg up">upgraded from ${m.from}</span>`;
    case 'downgraded':
      return h`<span class="chg down">downgraded from ${m.from}</span>`;
    default:
      return h`<span class="muted">unchanged</span>`;
  }
}

function delta(now: number, before: number | undefined): string {
  if (before === undefined) return '';
  const d = now - before;
  return d === 0 ? ' (unchanged)' : ` (${d > 0 ? '+' : '−'}${formatBytes(Math.abs(d))})`;
}

function chartBars(r: Release): Bar[] {
  return r.members.filter((m) => m.entry).map((m) => ({ label: `${m.name} ${m.version}`, bytes: m.entry!.installedSize }));
}

export function releasePage(meta: SiteMeta, set: ReleaseSet, r: Release): string {
  const from = paths.release(set.name, r.version);
  const prev = set.releases.find((x) => x.version === r.previous);
  const changed = r.members.filter((m) => m.change !== 'same');
  const missing = r.members.filter((m) => !m.entry);
  const first = r.previous === undefined;
  const body = h`<p class="crumbs"><a href="${rel(from, 'sets.html')}">Release sets</a> › <a href="${rel(from, paths.set(set.name))}">${set.name}</a></p>
<h1>${set.name} <span class="ver">${r.version}</span></h1><p class="lead">${r.entry.summary}</p>
<p><code class="cmd">zpkg sync --set ${set.name}=${r.version}</code></p>
<dl class="facts"><dt>Packages</dt><dd>${formatCount(r.members.length)}</dd>
<dt>Total size</dt><dd>${formatBytes(r.download)} to download${delta(r.download, prev?.download)}, ${formatBytes(r.installed)} installed${delta(r.installed, prev?.installed)}</dd>
<dt>Previous release</dt><dd>${prev ? h`<a href="${rel(from, paths.release(set.name, prev.version))}">${prev.version}</a>` : 'none: this is the first'}</dd>
<dt>Set package</dt><dd><a href="${rel(from, paths.pkg(set.name))}#${versionAnchor(r.version)}">${set.name} ${r.version}</a></dd></dl>
${missing.length ? h`<p class="bad" role="note">${plural(missing.length, 'pinned version')} ${missing.length === 1 ? 'is' : 'are'} not in this repository: ${missing.map((m, i) => h`${i ? ', ' : ''}${m.name} ${m.version}`)}. <code>zpkg sync --set</code> would fail.</p>` : ''}
<h2>What changed</h2>${first ? h`<p>The first release of ${set.name}: every package is new.</p>` : changed.length === 0 && r.removed.length === 0 ? h`<p>Nothing changed since ${r.previous}.</p>` : h`<ul>${changed.map((m) => h`<li><a href="${rel(from, paths.pkg(m.name))}">${m.name}</a> ${m.version} — ${changeOf(m)}</li>`)}${r.removed.map((x) => h`<li><a href="${rel(from, paths.pkg(x.name))}">${x.name}</a> ${x.version} — <span class="chg gone">removed</span></li>`)}</ul>`}
<h2>Pinned versions</h2><div class="scroll"><table class="pins"><caption class="vh">Packages pinned by ${set.name} ${r.version}</caption><thead><tr><th scope="col">Package</th><th scope="col">Version</th><th scope="col" class="num">Download</th><th scope="col" class="num">Installed</th><th scope="col">Since ${r.previous ?? 'before'}</th></tr></thead><tbody>
${r.members.map((m) => h`<tr><td><a href="${rel(from, paths.pkg(m.name))}${m.entry ? `#${versionAnchor(m.version)}` : ''}">${m.name}</a></td><td>${m.version}</td><td class="num">${m.entry ? formatBytes(m.entry.size) : h`<span class="bad">missing</span>`}</td><td class="num">${m.entry ? formatBytes(m.entry.installedSize) : ''}</td><td>${changeOf(m)}</td></tr>`)}
</tbody></table></div>
<h2>Size by package</h2><figure class="chart-box"><div class="scroll">${raw(sizeChart(`Installed size of each package of ${set.name} ${r.version}`, chartBars(r)))}</div><figcaption>Installed size of each package, largest first; the table above has the same numbers.</figcaption></figure>`;
  return page(meta, { path: from, title: `${set.name} ${r.version}`, description: `release ${r.version} of ${set.name}`, body });
}

export function setPage(meta: SiteMeta, set: ReleaseSet): string {
  const from = paths.set(set.name);
  const body = h`<p class="crumbs"><a href="${rel(from, 'sets.html')}">Release sets</a></p><h1>${set.name}</h1><p class="lead">${set.summary}</p>
<div class="scroll"><table><caption class="vh">Releases of ${set.name}</caption><thead><tr><th scope="col">Release</th><th scope="col" class="num">Packages</th><th scope="col" class="num">Download</th><th scope="col" class="num">Installed</th><th scope="col">Changes</th></tr></thead><tbody>
${set.releases.map((r) => h`<tr><td><a href="${rel(from, paths.release(set.name, r.version))}">${r.version}</a></td><td class="num">${formatCount(r.members.length)}</td><td class="num">${formatBytes(r.download)}</td><td class="num">${formatBytes(r.installed)}</td><td>${summaryOfChanges(r)}</td></tr>`)}
</tbody></table></div>`;
  return page(meta, { path: from, title: set.name, body });
}

export function summaryOfChanges(r: Release): string {
  if (r.previous === undefined) return 'first release';
  const count = (c: Member['change']): number => r.members.filter((m) => m.change === c).length;
  const parts = [
    [count('new'), 'added'],
    [count('upgraded'), 'upgraded'],
    [count('downgraded'), 'downgraded'],
    [r.removed.length, 'removed'],
  ].filter(([n]) => (n as number) > 0).map(([n, w]) => `${n} ${w}`);
  return parts.length ? parts.join(', ') : 'no change';
}

export function setsPage(meta: SiteMeta, sets: readonly ReleaseSet[]): string {
  const from = 'sets.html';
  const body = h`<h1>Release sets</h1>
<p>A release set is a package that delivers nothing itself and pins one exact version of each package it depends on; <code>zpkg sync --set NAME=VERSION</code> makes an image hold exactly that release.</p>
${sets.length === 0 ? h`<p>This repository has no release sets.</p>` : h`<div class="scroll"><table><caption class="vh">Release sets</caption><thead><tr><th scope="col">Set</th><th scope="col">Newest release</th><th scope="col" class="num">Releases</th><th scope="col" class="num">Packages</th><th scope="col" class="num">Installed</th><th scope="col">Changes</th></tr></thead><tbody>
${sets.map((s) => {
  const r = s.releases[0]!;
  return h`<tr><td><a href="${rel(from, paths.set(s.name))}">${s.name}</a></td><td><a href="${rel(from, paths.release(s.name, r.version))}">${r.version}</a></td><td class="num">${s.releases.length}</td><td class="num">${formatCount(r.members.length)}</td><td class="num">${formatBytes(r.installed)}</td><td>${summaryOfChanges(r)}</td></tr>`;
})}</tbody></table></div>`}`;
  return page(meta, { path: from, title: 'Release sets', body });
}
