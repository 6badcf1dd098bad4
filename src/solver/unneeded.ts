/**
 * Installed packages nothing keeps (apt's "automatically installed and no
 * longer required"): not requested, not held, not kept by the caller
 * (protected packages), and not reachable from any of those through depends
 * within the installed set — exactly what `remove --autoremove` would take.
 * A clause counts every installed package that answers it, as `why` does.
 */
import type { InstalledPackage } from '../core/catalog.js';
import { Answering } from './answering.js';

export function unneeded(installed: readonly InstalledPackage[], keep: Iterable<string> = []): InstalledPackage[] {
  const kept = new Set(keep);
  const answering = new Answering(installed);
  const reached = new Set(installed.filter((p) => p.requested || p.held || kept.has(p.name)));
  const queue = [...reached];
  for (let i = 0; i < queue.length; i++) {
    for (const clause of queue[i]!.depends) {
      for (const atom of clause) {
        for (const q of answering.satisfying(atom)) {
          if (!reached.has(q)) {
            reached.add(q);
            queue.push(q);
          }
        }
      }
    }
  }
  return installed.filter((p) => !reached.has(p)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
