/**
 * A release's size by package: a horizontal bar chart in SVG, largest first,
 * one bar per package up to `rows`, the rest summed in one bar. It is a
 * picture of the table beside it, which carries the same numbers as text.
 */
import { esc, formatBytes } from './html.js';

export interface Bar {
  label: string;
  bytes: number;
}

const ROW = 22;
const LABEL_W = 280;
const BAR_W = 360;
const VALUE_W = 100;
const CHAR = 7.9;

export function sizeChart(title: string, bars: readonly Bar[], rows = 30): string {
  const sorted = [...bars].sort((a, b) => b.bytes - a.bytes || (a.label < b.label ? -1 : 1));
  const shown = sorted.slice(0, rows);
  const rest = sorted.slice(rows);
  if (rest.length > 0) shown.push({ label: `${rest.length} more packages`, bytes: rest.reduce((s, b) => s + b.bytes, 0) });
  const max = Math.max(1, ...shown.map((b) => b.bytes));
  const width = LABEL_W + BAR_W + VALUE_W;
  const height = shown.length * ROW + 8;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">`,
  ];
  shown.forEach((b, i) => {
    const y = 4 + i * ROW;
    const w = Math.max(1, Math.round((b.bytes / max) * BAR_W));
    const maxChars = Math.floor((LABEL_W - 10) / CHAR);
    const label = b.label.length > maxChars ? `${b.label.slice(0, maxChars - 1)}…` : b.label;
    out.push(
      `<text class="cl" x="${LABEL_W - 8}" y="${y + 15}" text-anchor="end">${esc(label)}</text>`,
      `<rect class="bar${i === rows && rest.length > 0 ? ' rest' : ''}" x="${LABEL_W}" y="${y + 3}" width="${w}" height="${ROW - 6}" rx="2"/>`,
      `<text class="cv" x="${LABEL_W + w + 6}" y="${y + 15}">${esc(formatBytes(b.bytes))}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}
