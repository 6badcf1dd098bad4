/**
 * The image's admission policy (solver/admit.ts) from its facts: the
 * architecture (image/arch.ts), `exclude:` of etc/zpkg/zpkg.yaml, and the
 * version locks of `zpkg hold`. Every command that hands candidates to the
 * solver for landing goes through `admitFor`.
 */
import type { Candidate } from '../core/catalog.js';
import { ZpkgError } from '../core/errors.js';
import { formatAtom, providesAtom, type Atom } from '../core/relation.js';
import { readLifecycleConfig } from '../hooks/config.js';
import { describeArchSource, imageArch } from '../image/arch.js';
import { listHolds } from '../image/holds.js';
import type { Image } from '../image/image.js';
import { admit, describeRefused, type Admission, type AdmitPolicy } from '../solver/admit.js';

export interface ImagePolicy {
  policy: AdmitPolicy & { arch: string };
  /** Where the arch comes from, in words. */
  archFrom: string;
  recommends: boolean;
}

export function imagePolicy(image: Image): ImagePolicy {
  const config = readLifecycleConfig(image.paths.root);
  const arch = imageArch(image, config.arch);
  const locks = listHolds(image.db).flatMap((h) => (h.range ? [{ atom: h.range, ...(h.reason ? { reason: h.reason } : {}) }] : []));
  return { policy: { arch: arch.arch, exclude: config.exclude, locks }, archFrom: describeArchSource(arch), recommends: config.recommends };
}

export interface Admitted extends Admission {
  image: ImagePolicy;
}

/** `ip`: the policy read before the candidates were loaded, so a bad config is refused before any network or cache work. */
export function admitFor(image: Image, candidates: readonly Candidate[], ip = imagePolicy(image)): Admitted {
  return { ...admit(candidates, ip.policy), image: ip };
}

/** The error for an atom that only refused candidates answer: E_ARCH_MISMATCH when the arch alone keeps them out, else E_EXCLUDED. */
export function refusedError(atom: Atom, a: Admitted): ZpkgError | undefined {
  const hits = a.refused.filter((r) => providesAtom(r.entry, atom));
  if (hits.length === 0) return undefined;
  const archOnly = hits.every((h) => h.why.every((w) => w.kind === 'arch'));
  const lines = describeRefused(hits);
  if (archOnly) {
    const archs = [...new Set(hits.map((h) => h.entry.arch))].join(', ');
    return new ZpkgError('E_ARCH_MISMATCH', `\`${formatAtom(atom)}\` is built only for ${archs}, and the image is ${a.image.policy.arch} (from ${a.image.archFrom})`, {
      hint: `an image takes packages of its own arch or \`all\`; if the image is meant for another machine, set \`arch:\` in etc/zpkg/zpkg.yaml`,
      details: { explanation: lines, arch: a.image.policy.arch },
    });
  }
  return new ZpkgError('E_EXCLUDED', `\`${formatAtom(atom)}\` is kept out of this image: ${lines[0]}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ''}`, {
    hint: `see \`zpkg why-not ${atom.name}\`; lift a hold with \`zpkg unhold ${atom.name}\`, an exclude by editing etc/zpkg/zpkg.yaml`,
    details: { explanation: lines },
  });
}

/** Lines for an E_UNSATISFIABLE explanation: the refused versions of the names it mentions. */
export function refusedNotes(explanation: readonly string[], a: Admitted, max = 8): string[] {
  if (a.refused.length === 0) return [];
  const text = explanation.join('\n');
  const hits = a.refused.filter((r) => text.includes(`\`${r.entry.name}`) || text.includes(` ${r.entry.name} `) || text.includes(`${r.entry.name} (`));
  const lines = describeRefused(hits);
  return lines.length > max ? [...lines.slice(0, max), `… and ${lines.length - max} more versions kept out`] : lines;
}
