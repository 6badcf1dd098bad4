/**
 * `why-not NAME=VERSION`: what keeps one package version out of the image —
 * the image's architecture, an `exclude:` of its config, a hold (a range, or
 * an exact hold at another version), or its relations with what is installed
 * (the solver's explanation of installing exactly it, holds and excludes
 * aside). Several reasons are all listed; none means `install NAME=VERSION`
 * would land it, and `newer` says when update prefers another version.
 */
import type { Candidate } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { compareVersions } from '../core/version.js';
import type { Image } from '../image/image.js';
import { listRemotes, loadCandidates } from '../image/remotes.js';
import { getPackage } from '../image/state.js';
import { candidatesView, imageLinks, installedView } from './solver-view.js';
import { describeRefusal, refusals } from '../solver/admit.js';
import { buildPool, solve } from '../solver/index.js';
import { admitFor } from './admission.js';
import { noRemotes } from './solve.js';

export type WhyNotKind = 'installed' | 'arch' | 'exclude' | 'lock' | 'held' | 'relation';

export interface WhyNot {
  name: string;
  version: string;
  /** Every reason it is out; empty when `install NAME=VERSION` would land it. */
  reasons: { kind: WhyNotKind; text: string }[];
  /** A newer admitted version update would choose instead, if any. */
  newer: string | null;
}

export async function whyNot(image: Image, name: string, version: string | undefined): Promise<WhyNot> {
  if (listRemotes(image).length === 0) throw noRemotes(image);
  const links = imageLinks(image);
  const all = candidatesView(await loadCandidates(image), links);
  const named = all.filter((c) => c.name === name);
  if (named.length === 0) throw new ZpkgError('E_PACKAGE_UNKNOWN', `no package named \`${name}\` in any remote`, { hint: 'check the name with `zpkg search`, or run `zpkg refresh`' });
  const newest = named.reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a)).version;
  const v = version ?? newest;
  const offers = named.filter((c) => c.version === v);
  if (offers.length === 0) {
    throw new ZpkgError('E_VERSION_UNKNOWN', `no remote offers ${name} ${v}`, { hint: `available: ${[...new Set(named.map((c) => c.version))].join(', ')}` });
  }
  const reasons: WhyNot['reasons'] = [];
  const row = getPackage(image.db, name);
  if (row?.version === v) reasons.push({ kind: 'installed', text: `${name} ${v} is installed` });
  const admitted = admitFor(image, all);
  // Of several offers (arches, remotes), the reasons of the best one: an admitted offer has none.
  const perOffer = offers.map((o) => refusals(o, admitted.image.policy));
  const best = perOffer.reduce((a, b) => (b.length < a.length ? b : a));
  for (const r of best) reasons.push({ kind: r.kind, text: describeRefusal(r) });
  if (row?.held && row.version !== v) reasons.push({ kind: 'held', text: `${name} is held at ${row.version} (zpkg unhold ${name})` });
  if (row?.version !== v) {
    // Relations alone: holds, excludes and arch of this very package lifted, everything else as the image has it.
    const mine = offers.filter((o, i) => perOffer[i]!.every((r) => r.kind !== 'arch') || offers.length === 1);
    const pool = buildPool([...(admitted.admitted as Candidate[]).filter((c) => c.name !== name), ...mine]);
    const installed = installedView(image, links).map((p) => (p.name === name ? { ...p, held: false } : p));
    const r = solve(pool, installed, { install: [{ name, constraint: { op: '=', version: v } }] }, {});
    if (!r.ok) for (const line of r.explanation) reasons.push({ kind: 'relation', text: line });
  }
  const admittedNewer = (admitted.admitted as Candidate[]).filter((c) => c.name === name && compareVersions(c.version, v) > 0);
  const newer = admittedNewer.length ? admittedNewer.reduce((a, b) => (compareVersions(b.version, a.version) > 0 ? b : a)).version : null;
  return { name, version: v, reasons, newer };
}
