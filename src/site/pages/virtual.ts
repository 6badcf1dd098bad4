/** A provided name (`so:libc.so.6`, `mail-transport-agent`): who provides it, and who depends on it. */
import { h, paths, rel } from '../html.js';
import type { Dependent, Provider } from '../model.js';
import { page, type SiteMeta } from './shell.js';

export function virtualPage(meta: SiteMeta, name: string, providers: readonly Provider[], dependents: readonly Dependent[]): string {
  const from = paths.virtual(name);
  const body = h`<h1>${name}</h1><p class="lead">A name packages provide, not a package itself.</p>
<h2>Provided by</h2><ul>${providers.map((p) => h`<li><a href="${rel(from, paths.pkg(p.name))}">${p.name}</a> ${p.version}${p.provide.constraint ? ` (provides ${p.provide.constraint.op} ${p.provide.constraint.version})` : ''}</li>`)}</ul>
<h2>Required by</h2>${dependents.length ? h`<ul class="cols">${dependents.slice(0, 500).map((d) => h`<li><a href="${rel(from, paths.pkg(d.name))}">${d.name}</a> <span class="muted">${d.relation}</span></li>`)}</ul>${dependents.length > 500 ? h`<p>…and ${dependents.length - 500} more.</p>` : ''}` : h`<p>No package depends on it by this name.</p>`}`;
  return page(meta, { path: from, title: name, body });
}
