/**
 * Facets (IPS's word): optional content. A path action may carry facets —
 * `doc`, `man`, `locale.LANG`, `devel`, or any a recipe names — and an image
 * chooses which facets it holds (`facets:` in zpkg.yaml, `zpkg change-facet`).
 * An action without facets is always installed; one with facets is installed
 * when at least one of them is enabled (IPS: "any facet true"). A hardlink is
 * installed only with the file it links to.
 *
 * Settings map a facet name or a wildcard (`locale.*`, `*`) to true/false;
 * the most specific wins: the exact name, else the longest matching
 * wildcard; a facet no setting names is enabled.
 */
import { ZpkgError } from './errors.js';
import { FACET_NAME } from './facet-name.js';
import type { Action, Manifest } from './manifest.js';

export { FACET_NAME };
/** A setting's key: a facet name, or one ending in `*` (`locale.*`, `*`). */
const FACET_PATTERN = /^(?:[a-z][a-z0-9_-]*(\.[A-Za-z0-9_@+-]+)*(\.\*)?|\*)$/;

export type FacetSettings = Readonly<Record<string, boolean>>;

export function isFacetPattern(key: string): boolean {
  return FACET_PATTERN.test(key);
}

/** Checks settings read from a file or the command line; `what` names the source for the message. */
export function validateFacetSettings(raw: unknown, what: string): Record<string, boolean> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ZpkgError('E_CONFIG_INVALID', `${what}: \`facets\` must be a mapping of facet names (or \`name.*\`) to true or false`);
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!isFacetPattern(k)) throw new ZpkgError('E_CONFIG_INVALID', `${what}: \`${k}\` is not a facet name or pattern (e.g. \`doc\`, \`locale.en\`, \`locale.*\`)`);
    if (typeof v !== 'boolean') throw new ZpkgError('E_CONFIG_INVALID', `${what}: facet \`${k}\` must be true or false`);
    out[k] = v;
  }
  return out;
}

export function facetEnabled(settings: FacetSettings, facet: string): boolean {
  if (Object.hasOwn(settings, facet)) return settings[facet]!;
  let best: string | undefined;
  for (const key of Object.keys(settings)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (facet.startsWith(prefix) && (best === undefined || key.length > best.length)) best = key;
  }
  return best === undefined ? true : settings[best]!;
}

function actionFacets(a: Action): readonly string[] | undefined {
  return 'facets' in a ? a.facets : undefined;
}

/** Whether an action's facets let it into an image with these settings. */
export function actionIncluded(settings: FacetSettings, a: Action): boolean {
  const facets = actionFacets(a);
  return !facets?.length || facets.some((f) => facetEnabled(settings, f));
}

/** Paths of a manifest's actions the settings leave out (absent on purpose). */
export function excludedPaths(m: Manifest, settings: FacetSettings): Set<string> {
  const out = new Set<string>();
  if (Object.keys(settings).length === 0) return out;
  for (const a of m.actions) if ('path' in a && !actionIncluded(settings, a)) out.add(a.path);
  for (const a of m.actions) if (a.type === 'hardlink' && out.has(a.target)) out.add(a.path);
  return out;
}

/** The manifest as an image with these settings holds it: excluded actions dropped (its digest stays the original's). */
export function withFacets(m: Manifest, settings: FacetSettings): Manifest {
  const out = excludedPaths(m, settings);
  if (out.size === 0) return m;
  return { ...m, actions: m.actions.filter((a) => !('path' in a) || !out.has(a.path)) };
}

/**
 * The builder's path rules: facets a path gets without the recipe saying so.
 * Directories are tagged only below the tagged tree (`usr/share/doc/app`,
 * never `usr/share/doc` itself), so shared parents stay.
 */
const RULES: { re: RegExp; facet: (m: RegExpExecArray) => string }[] = [
  { re: /^usr\/share\/(?:doc|info|gtk-doc|help)\/./, facet: () => 'doc' },
  { re: /^usr\/share\/man\/./, facet: () => 'man' },
  { re: /^usr\/share\/locale\/([^/]+)\/./, facet: (m) => `locale.${m[1]}` },
  { re: /^usr\/include\/./, facet: () => 'devel' },
  { re: /^usr\/(?:lib|share)\/(?:[^/]+\/)*pkgconfig\/./, facet: () => 'devel' },
  { re: /^(?:usr\/)?lib\/(?:[^/]+\/)*[^/]+\.(?:a|la)$/, facet: () => 'devel' },
];

/**
 * Tags path actions with the default rules' facets and the `extra` ones
 * (a recipe's `facets:`); a hardlink gets its target's. Mutates and returns
 * `actions`: the builder's last step before the manifest is encoded.
 */
export function tagFacets<A extends Action>(actions: A[], extra: (path: string) => readonly string[] = () => []): A[] {
  const byPath = new Map<string, string[]>();
  for (const a of actions) {
    if (!('path' in a) || a.type === 'hardlink') continue;
    const facets = [...new Set([...defaultFacets(a.path), ...extra(a.path)])].sort();
    if (facets.length) {
      (a as { facets?: string[] }).facets = facets;
      byPath.set(a.path, facets);
    }
  }
  for (const a of actions) if (a.type === 'hardlink' && byPath.has(a.target)) (a as { facets?: string[] }).facets = byPath.get(a.target);
  return actions;
}

/** Facets the default rules give a path (a locale directory name that is not a valid facet suffix gets none). */
export function defaultFacets(path: string): string[] {
  const out: string[] = [];
  for (const rule of RULES) {
    const m = rule.re.exec(path);
    if (!m) continue;
    const f = rule.facet(m);
    if (FACET_NAME.test(f) && !out.includes(f)) out.push(f);
  }
  return out;
}
