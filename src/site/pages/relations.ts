/** Relations as links: a package name to its page, a provided name to its providers, a name nothing offers marked unmet. */
import type { Atom, Clause } from '../../core/relation.js';
import { sonameOf } from '../../core/symbol-versions.js';
import { h, paths, rel, type Html } from '../html.js';
import type { SiteModel } from '../model.js';

/**
 * `quiet`: the atom's absence is no problem — an alternative of a clause
 * another alternative satisfies, or a conflict, replace or provide (only an
 * unmet dependency is flagged).
 */
export function atomLink(model: SiteModel, from: string, atom: Atom, quiet = false): Html {
  const constraint = atom.constraint ? ` (${atom.constraint.op} ${atom.constraint.version})` : '';
  if (quiet && model.resolve(atom) === undefined) {
    if (model.packages.has(atom.name)) return h`<a href="${rel(from, paths.pkg(atom.name))}">${atom.name}</a>${constraint}`;
    if (model.providers.has(atom.name)) return h`<a class="virtual" href="${rel(from, paths.virtual(atom.name))}">${atom.name}</a>${constraint}`;
    return h`<span class="muted">${atom.name}${constraint}</span>`;
  }
  if (model.packages.has(atom.name)) {
    const ok = model.resolve(atom) !== undefined;
    return h`<a href="${rel(from, paths.pkg(atom.name))}">${atom.name}</a>${constraint}${ok ? '' : h` <span class="bad">(no version satisfies this)</span>`}`;
  }
  if (model.providers.has(atom.name)) {
    const ok = model.resolve(atom) !== undefined;
    return h`<a class="virtual" href="${rel(from, paths.virtual(atom.name))}">${atom.name}</a>${constraint}${ok ? '' : h` <span class="bad">(no provider satisfies this)</span>`}`;
  }
  return h`<span class="bad">${atom.name}${constraint} (nothing provides it)</span>`;
}

export function clauseLinks(model: SiteModel, from: string, clause: Clause, flagUnmet = true): Html {
  const satisfied = !flagUnmet || (clause.length > 1 && clause.some((a) => model.resolve(a) !== undefined));
  return h`${clause.map((a, i) => h`${i > 0 ? ' | ' : ''}${atomLink(model, from, a, satisfied)}`)}`;
}

/**
 * One relation kind as a list, or nothing when empty; `flagUnmet` for
 * dependencies (what nothing satisfies is marked). A library's symbol versions
 * (`so:libc.so.6(GLIBC_2.34)`: glibc provides 38, a binary needs a dozen) fold
 * into one item under their soname, listed in a disclosure that opens by
 * itself when one of them is unmet (core/symbol-versions.ts, as `zpkg info`).
 */
export function relationList(model: SiteModel, from: string, title: string, items: readonly Clause[], flagUnmet = false): Html {
  if (items.length === 0) return h``;
  return h`<dt>${title}</dt><dd><ul class="rels">${foldedItems(items).map((item) => ('soname' in item ? foldedLine(model, from, item, flagUnmet) : h`<li>${clauseLinks(model, from, item.clause, flagUnmet)}</li>`))}</ul></dd>`;
}

type Item = { clause: Clause } | { soname: string; bare?: Atom; versions: Atom[] };

/** The clauses in order, each unconstrained `so:NAME(VERSION)` atom gathered under the first place its soname appears. */
function foldedItems(items: readonly Clause[]): Item[] {
  const out: Item[] = [];
  const bySoname = new Map<string, { soname: string; bare?: Atom; versions: Atom[] }>();
  for (const clause of items) {
    const atom = clause.length === 1 && !clause[0]!.constraint ? clause[0]! : undefined;
    const soname = atom && sonameOf(atom.name);
    if (!atom || !soname || !soname.startsWith('so:')) {
      out.push({ clause });
      continue;
    }
    let group = bySoname.get(soname);
    if (!group) {
      group = { soname, versions: [] };
      bySoname.set(soname, group);
      out.push(group);
    }
    if (soname === atom.name) group.bare = atom;
    else group.versions.push(atom);
  }
  return out;
}

function foldedLine(model: SiteModel, from: string, g: { soname: string; bare?: Atom; versions: Atom[] }, flagUnmet: boolean): Html {
  const head = atomLink(model, from, g.bare ?? { name: g.soname }, !(flagUnmet && g.bare));
  if (g.versions.length === 0) return h`<li>${head}</li>`;
  const unmet = flagUnmet ? g.versions.filter((a) => model.resolve(a) === undefined).length : 0;
  const n = g.versions.length;
  return h`<li>${head} <details${unmet ? ' open' : ''}><summary>${n} symbol ${n === 1 ? 'version' : 'versions'}${unmet ? h` <span class="bad">(${unmet} unmet)</span>` : ''}</summary><ul class="rels">${g.versions.map((a) => h`<li>${atomLink(model, from, a, !flagUnmet)}</li>`)}</ul></details></li>`;
}
