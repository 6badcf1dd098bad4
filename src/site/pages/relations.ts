/** Relations as links: a package name to its page, a provided name to its providers, a name nothing offers marked unmet. */
import type { Atom, Clause } from '../../core/relation.js';
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

/** One relation kind as a list, or nothing when empty; `flagUnmet` for dependencies (what nothing satisfies is marked). */
export function relationList(model: SiteModel, from: string, title: string, items: readonly Clause[], flagUnmet = false): Html {
  if (items.length === 0) return h``;
  return h`<dt>${title}</dt><dd><ul class="rels">${items.map((c) => h`<li>${clauseLinks(model, from, c, flagUnmet)}</li>`)}</ul></dd>`;
}
