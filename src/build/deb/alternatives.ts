/**
 * Debian alternatives an import can see: the `update-alternatives --install
 * LINK NAME PATH PRIORITY [--slave LINK NAME PATH]...` calls of a package's
 * postinst whose arguments are literal (no `$`, no quotes to expand). Each
 * becomes a link action under the mediator NAME (the master's name for its
 * slaves), implementation = the package, priority = PRIORITY, pointing at
 * PATH directly (no /etc/alternatives indirection: the image's mediator
 * choice plays that part). A call naming a PATH the package does not deliver,
 * or computing anything, is skipped: zpkg runs no maintainer script.
 */
import type { LinkAction } from '../../core/manifest.js';
import { MEDIATOR_NAME } from '../../core/manifest.js';
import { imagePathProblem } from '../../core/paths.js';

export interface Alternative {
  link: string;
  mediator: string;
  target: string;
  priority: number;
}

const LITERAL = /^[A-Za-z0-9_./+@:-]+$/;

/** The literal `update-alternatives --install` calls of a shell script (linear in its length). */
export function parseAlternatives(script: string): Alternative[] {
  const out: Alternative[] = [];
  const text = script.replace(/\\\r?\n/g, ' ');
  for (const line of text.split('\n')) {
    const at = line.indexOf('update-alternatives');
    if (at < 0) continue;
    const words = line.slice(at).split(/[\s;&|]+/).filter(Boolean);
    const install = words.indexOf('--install');
    if (install < 0) continue;
    const [link, name, path, priority] = words.slice(install + 1, install + 5);
    if (![link, name, path, priority].every((w) => w !== undefined && LITERAL.test(w)) || !/^\d{1,9}$/.test(priority!) || !MEDIATOR_NAME.test(name!)) continue;
    const pri = Number(priority);
    out.push({ link: link!, mediator: name!, target: path!, priority: pri });
    for (let i = install + 5; i + 3 < words.length + 1; i++) {
      if (words[i] !== '--slave') continue;
      const [slink, , spath] = words.slice(i + 1, i + 4);
      if ([slink, spath].every((w) => w !== undefined && LITERAL.test(w))) out.push({ link: slink!, mediator: name!, target: spath!, priority: pri });
      i += 3;
    }
  }
  return out;
}

/** Link actions for the alternatives whose target the package delivers and whose link it does not. */
export function alternativeLinks(pkg: string, alternatives: readonly Alternative[], delivers: (path: string) => boolean, owner: { owner: string; group: string }): LinkAction[] {
  const out: LinkAction[] = [];
  const seen = new Set<string>();
  // A package installing one link twice (iptables: legacy 10, nft 20) delivers the highest priority's.
  for (const a of [...alternatives].sort((x, y) => y.priority - x.priority)) {
    const path = a.link.replace(/^\/+/, '');
    const target = a.target.replace(/^\/+/, '');
    if (!a.link.startsWith('/') || !a.target.startsWith('/') || imagePathProblem(path) || imagePathProblem(target)) continue;
    if (seen.has(path) || delivers(path) || !delivers(target)) continue;
    seen.add(path);
    out.push({ type: 'link', path, target: a.target, ...owner, mediator: a.mediator, implementation: pkg, priority: a.priority });
  }
  return out;
}
