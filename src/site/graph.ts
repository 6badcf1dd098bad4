/**
 * A dependency picture: the DOT text Graphviz lays out, and the SVG drawn
 * from Graphviz's `plain` output (positions and spline control points), so
 * the SVG carries only what the page needs — boxes that are links, labels,
 * edges — at a tenth of Graphviz's own SVG. Labels are monospace, so each
 * box's width is known without font metrics and the layout matches the text.
 * `__G__` in the SVG stands for an id unique on its page (several graphs on
 * one page must not share marker ids).
 */
import { esc } from './html.js';

export type NodeKind = 'root' | 'pkg' | 'more' | 'unmet';

export interface GraphNode {
  label: string;
  sub: string;
  /** Site path the box links to. */
  href?: string;
  kind: NodeKind;
}

export interface GraphJob {
  title: string;
  nodes: GraphNode[];
  /** [from, to, dashed] */
  edges: [number, number, boolean][];
  /** Prefix that turns a site path into a link from the page (`../`). */
  base: string;
}

const CHAR = 7.9;
const MAX_LABEL = 34;
const NODE_H = 38;
const PAD = 4;

function clip(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

function widthOf(n: GraphNode): number {
  return Math.max(clip(n.label).length, clip(n.sub).length) * CHAR + 20;
}

export function dotOf(job: GraphJob): string {
  const lines = ['digraph g {', 'rankdir=LR; nodesep=0.12; ranksep=0.45; splines=true;', 'node [shape=box, fixedsize=true, label=""]; edge [arrowsize=0.8];'];
  job.nodes.forEach((n, i) => lines.push(`n${i} [width=${(widthOf(n) / 72).toFixed(3)}, height=${(NODE_H / 72).toFixed(3)}];`));
  for (const [a, b] of job.edges) lines.push(`n${a} -> n${b};`);
  lines.push('}');
  return lines.join('\n');
}

/** Splits a line of Graphviz `plain` output into tokens (double-quoted tokens unquoted). */
function tokens(line: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2]!);
  return out;
}

const f = (n: number): string => Math.round(n).toString();

export function svgOf(job: GraphJob, plain: string): string {
  let height = 0;
  let width = 0;
  const boxes: { x: number; y: number; w: number; h: number }[] = [];
  const paths: { d: string; dashed: boolean }[] = [];
  const dashed = new Map(job.edges.map(([a, b, d]) => [`n${a} n${b}`, d]));
  for (const line of plain.split('\n')) {
    const t = tokens(line);
    if (t[0] === 'graph') {
      width = Number(t[2]) * 72;
      height = Number(t[3]) * 72;
    } else if (t[0] === 'node') {
      const i = Number(t[1]!.slice(1));
      const w = Number(t[4]) * 72;
      const hh = Number(t[5]) * 72;
      boxes[i] = { x: Number(t[2]) * 72 - w / 2, y: height - Number(t[3]) * 72 - hh / 2, w, h: hh };
    } else if (t[0] === 'edge') {
      const n = Number(t[3]);
      const pts: string[] = [];
      for (let k = 0; k < n; k++) pts.push(`${f(Number(t[4 + 2 * k]) * 72 + PAD)},${f(height - Number(t[5 + 2 * k]) * 72 + PAD)}`);
      let d = `M${pts[0]}`;
      for (let k = 1; k + 2 < n; k += 3) d += `C${pts[k]} ${pts[k + 1]} ${pts[k + 2]}`;
      paths.push({ d, dashed: dashed.get(`${t[1]} ${t[2]}`) ?? false });
    }
  }
  const W = Math.ceil(width + 2 * PAD + 8);
  const H = Math.ceil(height + 2 * PAD);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="group" aria-labelledby="gt__G__">`,
    `<title id="gt__G__">${esc(job.title)}</title>`,
    '<defs><marker id="ah__G__" viewBox="0 0 8 6" refX="0" refY="3" markerWidth="8" markerHeight="6" orient="auto" markerUnits="userSpaceOnUse"><path class="ah" d="M0,0L8,3L0,6z"/></marker></defs>',
  ];
  out.push('<g class="e" marker-end="url(#ah__G__)">');
  for (const p of paths) out.push(p.dashed ? `<path class="d" d="${p.d}"/>` : `<path d="${p.d}"/>`);
  out.push('</g>');
  job.nodes.forEach((n, i) => {
    const b = boxes[i];
    if (!b) return;
    const x = b.x + PAD;
    const y = b.y + PAD;
    const box = `<rect class="${n.kind}" x="${f(x)}" y="${f(y)}" width="${f(b.w)}" height="${f(b.h)}" rx="4"/><text class="nl" x="${f(x + 10)}" y="${f(y + 16)}">${esc(clip(n.label))}</text><text class="nv" x="${f(x + 10)}" y="${f(y + 31)}">${esc(clip(n.sub))}</text>`;
    out.push(n.href ? `<a href="${esc(job.base + n.href)}">${box}</a>` : `<g>${box}</g>`);
  });
  out.push('</svg>');
  return out.join('');
}
