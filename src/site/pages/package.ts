/**
 * A package's page: every version (newest first) with its relations as
 * links, its dependency closure as a picture, what it delivers (paths, hooks,
 * services, accounts), its manifest digest and the release sets that pin it;
 * then who depends on it. Lists that can be huge on a distribution-sized
 * repository (paths, dependents, the closure) are cut at a stated length.
 */
import type { Manifest } from '../../core/manifest.js';
import { formatCount, formatBytes, h, paths, plural, raw, rel, versionAnchor, type Html } from '../html.js';
import type { Closure } from '../closure.js';
import type { PackageModel, SiteModel, VersionModel } from '../model.js';
import { relationList } from './relations.js';
import { page, type SiteMeta } from './shell.js';

export const FILES_INLINE = 1000;
export const DEPENDENTS_INLINE = 200;
export const CLOSURE_LIST = 150;

export interface VersionPicture {
  closure: Closure;
  /** The SVG (graph.ts), `__G__` not yet replaced. */
  svg: string;
  /** How many closure members the picture draws. */
  drawn: number;
}

export interface PackagePageInput {
  model: SiteModel;
  meta: SiteMeta;
  pkg: PackageModel;
  pictures: VersionPicture[];
  /** The repository's public URL, for links to its files. */
  baseUrl: string | undefined;
}

function filesOf(manifest: Manifest, from: string, fileList: string | undefined): Html {
  const actions = manifest.actions.filter((a) => a.type === 'file' || a.type === 'dir' || a.type === 'link' || a.type === 'hardlink');
  if (actions.length === 0) return h`<p>Delivers no paths.</p>`;
  const shown = actions.slice(0, FILES_INLINE);
  const rows = shown.map((a) => {
    switch (a.type) {
      case 'file':
        return h`<tr><td>file</td><td class="path">/${a.path}</td><td>${a.mode}</td><td>${a.owner}:${a.group}</td><td class="num">${formatBytes(a.size)}</td><td>${a.config ? 'config' : ''}${a.restart?.length ? h` restarts ${a.restart.join(', ')}` : ''}</td></tr>`;
      case 'dir':
        return h`<tr><td>dir</td><td class="path">/${a.path}/</td><td>${a.mode}</td><td>${a.owner}:${a.group}</td><td></td><td></td></tr>`;
      case 'link':
        return h`<tr><td>link</td><td class="path">/${a.path}</td><td></td><td>${a.owner}:${a.group}</td><td></td><td>→ ${a.target}</td></tr>`;
      default:
        return h`<tr><td>hardlink</td><td class="path">/${a.path}</td><td></td><td></td><td></td><td>= /${a.target}</td></tr>`;
    }
  });
  const more = actions.length > shown.length ? h`<p>The first ${formatCount(shown.length)} of ${formatCount(actions.length)} paths${fileList ? h`; <a href="${rel(from, fileList)}">all of them as text</a>` : ''}.</p>` : h``;
  return h`<div class="scroll"><table class="files"><caption class="vh">Paths delivered</caption><thead><tr><th scope="col">Type</th><th scope="col">Path</th><th scope="col">Mode</th><th scope="col">Owner</th><th scope="col" class="num">Size</th><th scope="col">Notes</th></tr></thead><tbody>${rows}</tbody></table></div>${more}`;
}

function lifecycleOf(manifest: Manifest): Html {
  const hooks = Object.entries(manifest.hooks ?? {});
  const services = manifest.services ?? [];
  const accounts = manifest.actions.filter((a) => a.type === 'user' || a.type === 'group');
  return h`${hooks.length ? h`<h4>Hooks</h4><ul>${hooks.map(([phase, ref]) => h`<li><code>${phase}</code> — ${formatBytes(ref!.size)}${ref!.timeout ? `, timeout ${ref!.timeout} s` : ''}, <code class="digest">${ref!.digest}</code></li>`)}</ul>` : ''}
${services.length ? h`<h4>Services</h4><ul>${services.map((s) => h`<li><code>${s.name}</code> — restart ${s.restart}${s.reload ? ', reloads instead of restarting' : ''}</li>`)}</ul>` : ''}
${accounts.length ? h`<h4>Accounts</h4><ul>${accounts.map((a) => (a.type === 'user' ? h`<li>user <code>${a.name}</code>${a.uid !== undefined ? ` (uid ${a.uid})` : ''}</li>` : h`<li>group <code>${a.name}</code>${a.gid !== undefined ? ` (gid ${a.gid})` : ''}</li>`))}</ul>` : ''}
${!hooks.length && !services.length ? h`<p>No hooks, no services.</p>` : ''}`;
}

function closureSection(model: SiteModel, from: string, v: VersionModel, pic: VersionPicture, gid: string): Html {
  const c = pic.closure;
  const others = c.nodes.length - 1;
  const summary = h`<p>${others === 0 ? 'Depends on nothing.' : h`Pulls in ${plural(others, 'package')}: ${formatBytes(c.download)} to download, ${formatBytes(c.installed)} installed (with ${v.entry.name} itself).`}${c.unmet.length ? h` <span class="bad">${plural(c.unmet.length, 'dependency', 'dependencies')} nothing in the repository satisfies.</span>` : ''}</p>`;
  if (others === 0 && c.unmet.length === 0) return summary;
  const svg = pic.svg.replaceAll('__G__', gid);
  const list = c.nodes.slice(1, CLOSURE_LIST + 1);
  return h`${summary}<figure class="graph-box"><div class="scroll">${raw(svg)}</div><figcaption>Dependency closure of ${v.entry.name} ${v.entry.version}${c.nodes.length > pic.drawn ? `: the first ${pic.drawn} of ${c.nodes.length} packages, breadth first` : ''}. Each dependency is drawn to the first alternative the repository satisfies; an edge implied by others is left out.</figcaption></figure>
${others > 0 ? h`<details><summary>All ${plural(others, 'package')} of the closure</summary><ul class="cols">${list.map((n) => h`<li><a href="${rel(from, paths.pkg(n.name))}">${n.name}</a> ${n.version}</li>`)}</ul>${others > list.length ? h`<p>…and ${formatCount(others - list.length)} more.</p>` : ''}</details>` : ''}
${c.unmet.length ? h`<h4>Unmet dependencies</h4><ul>${c.unmet.slice(0, 50).map((u) => h`<li>${c.nodes[u.from]!.name} needs <code>${u.clause}</code></li>`)}</ul>` : ''}`;
}

function versionSection(input: PackagePageInput, v: VersionModel, pic: VersionPicture, i: number): Html {
  const { model, pkg } = input;
  const from = paths.pkg(pkg.name);
  const e = v.entry;
  const m = v.manifest;
  const anchor = versionAnchor(e.version);
  const manifestLink = e.manifest && input.baseUrl ? `${input.baseUrl}/manifests/${e.manifest.slice(7, 9)}/${e.manifest.slice(7)}.json` : undefined;
  return h`<section class="version" id="${anchor}" aria-labelledby="h-${anchor}">
<h2 id="h-${anchor}">${pkg.name} <span class="ver">${e.version}</span>${i === 0 ? h` <span class="tag">newest</span>` : ''}</h2>
<p><code class="cmd">zpkg install ${pkg.name}=${e.version}</code></p>
<dl class="facts"><dt>Summary</dt><dd>${e.summary || '—'}</dd>
<dt>License</dt><dd>${m ? m.license || 'not declared' : 'unknown (catalog only: no manifest)'}</dd>
<dt>Architecture</dt><dd>${e.arch}</dd>
<dt>Size</dt><dd>${formatBytes(e.size)} to download, ${formatBytes(e.installedSize)} installed</dd>
<dt>Manifest</dt><dd>${e.manifest ? (manifestLink ? h`<a class="digest" href="${manifestLink}">${e.manifest}</a>` : h`<code class="digest">${e.manifest}</code>`) : 'none (catalog-only repository)'}</dd>
${v.releases.length ? h`<dt>Pinned by</dt><dd>${v.releases.map((r, k) => h`${k ? ', ' : ''}<a href="${rel(from, paths.release(r.set, r.version))}">${r.set} ${r.version}</a>`)}</dd>` : ''}
${relationList(model, from, 'Depends on', e.depends, true)}${relationList(model, from, 'Conflicts with', e.conflicts.map((a) => [a]))}${relationList(model, from, 'Provides', e.provides.map((a) => [a]))}${relationList(model, from, 'Replaces', e.replaces.map((a) => [a]))}
</dl>
<h3>Dependency closure</h3>${closureSection(model, from, v, pic, `${i}`)}
${m ? h`<h3>Delivers</h3>${filesOf(m, from, v.paths.length > FILES_INLINE ? paths.fileList(pkg.name, e.version) : undefined)}${lifecycleOf(m)}${m.description ? h`<h3>Description</h3><p class="desc">${m.description}</p>` : ''}` : ''}
</section>`;
}

export function packagePage(input: PackagePageInput): string {
  const { model, pkg, meta } = input;
  const from = paths.pkg(pkg.name);
  const newest = pkg.versions[0]!;
  const dependents = model.dependents(pkg.name);
  const shownDeps = dependents.slice(0, DEPENDENTS_INLINE);
  const body = h`<h1>${pkg.name}</h1><p class="lead">${newest.entry.summary}</p>
<h2>Versions</h2><div class="scroll"><table><caption class="vh">Versions of ${pkg.name}</caption><thead><tr><th scope="col">Version</th><th scope="col">Arch</th><th scope="col" class="num">Download</th><th scope="col" class="num">Installed</th><th scope="col">Pinned by</th></tr></thead><tbody>
${pkg.versions.map((v) => h`<tr><td><a href="#${versionAnchor(v.entry.version)}">${v.entry.version}</a></td><td>${v.entry.arch}</td><td class="num">${formatBytes(v.entry.size)}</td><td class="num">${formatBytes(v.entry.installedSize)}</td><td>${v.releases.map((r, k) => h`${k ? ', ' : ''}<a href="${rel(from, paths.release(r.set, r.version))}">${r.set} ${r.version}</a>`)}</td></tr>`)}
</tbody></table></div>
${pkg.versions.map((v, i) => versionSection(input, v, input.pictures[i]!, i))}
<section aria-labelledby="h-rdeps"><h2 id="h-rdeps">Required by</h2>
${dependents.length === 0 ? h`<p>No package of this repository depends on ${pkg.name}.</p>` : h`<p>${plural(dependents.length, 'package')} ${dependents.length === 1 ? 'depends' : 'depend'} on ${pkg.name}${newest.entry.provides.length ? ' or on a name it provides' : ''}${dependents.length > shownDeps.length ? h` (the first ${formatCount(shownDeps.length)} are listed)` : ''}.</p>
<ul class="cols">${shownDeps.map((d) => h`<li><a href="${rel(from, paths.pkg(d.name))}">${d.name}</a> <span class="muted">${d.relation}</span></li>`)}</ul>`}
</section>`;
  return page(meta, { path: from, title: pkg.name, description: newest.entry.summary, body });
}
