/**
 * From a package version to the job that draws its closure: the first
 * `limit` packages breadth first, boxes linking to their pages, unmet
 * dependencies in their own (dashed) boxes and one box standing for the
 * packages not drawn.
 */
import type { CatalogEntry } from '../core/catalog.js';
import { closureOf, graphOf, type Closure } from './closure.js';
import type { GraphJob, GraphNode } from './graph.js';
import { paths } from './html.js';
import type { SiteModel } from './model.js';

export const GRAPH_NODES = 16;
const UNMET_DRAWN = 6;

export interface PictureJob {
  closure: Closure;
  /** Undefined when there is nothing to draw (no dependencies). */
  job: GraphJob | undefined;
  drawn: number;
}

export function pictureJob(model: SiteModel, entry: CatalogEntry, limit = GRAPH_NODES): PictureJob {
  const closure = closureOf(model, entry);
  if (closure.nodes.length === 1 && closure.unmet.length === 0) return { closure, job: undefined, drawn: 1 };
  const spec = graphOf(closure, limit);
  const nodes: GraphNode[] = spec.nodes.map((n, i) => ({
    label: n.name,
    sub: n.version,
    kind: i === 0 ? 'root' : 'pkg',
    ...(i === 0 ? {} : { href: paths.pkg(n.name) }),
  }));
  const edges: GraphJob['edges'] = spec.edges.map(([a, b]) => [a, b, false]);
  for (const u of closure.unmet.filter((x) => x.from < spec.nodes.length).slice(0, UNMET_DRAWN)) {
    nodes.push({ label: u.clause, sub: 'unmet: nothing provides it', kind: 'unmet' });
    edges.push([u.from, nodes.length - 1, true]);
  }
  if (spec.hidden > 0) {
    nodes.push({ label: `${spec.hidden} more`, sub: 'not drawn', kind: 'more' });
    for (const from of spec.leadsToHidden) edges.push([from, nodes.length - 1, true]);
  }
  const names = spec.nodes.slice(1).map((n) => n.name);
  const title = `Dependency closure of ${entry.name} ${entry.version}: ${names.join(', ')}${spec.hidden > 0 ? ` and ${spec.hidden} more` : ''}`;
  return { closure, job: { title, nodes, edges, base: '../' }, drawn: spec.nodes.length };
}
