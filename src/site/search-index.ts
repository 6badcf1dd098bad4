/**
 * The search index the index page's script loads: no server needed, so it
 * is static JavaScript files (a script element loads them even from a
 * file:// URL, where fetch cannot). Names with their newest version and
 * summary go in shards of about `shardBytes`, paths delivered by each
 * package's newest version in shards of their own; each file is named by a
 * hash of its content, so a CDN may cache it forever and a new render never
 * mixes with an old one. A shard calls `zpkgShard(kind, start, rows)`: rows
 * are lines of tab-separated fields, `start` the index of its first package.
 *
 *   names: NAME \t VERSION \t SUMMARY \t SLUG (empty when the slug is the name)
 *   paths: PATH \t PACKAGE-INDEX
 */
import { createHash } from 'node:crypto';
import { slug } from './html.js';
import type { SiteModel } from './model.js';

export interface SearchFile {
  path: string;
  content: string;
}

export interface SearchIndex {
  names: SearchFile[];
  paths: SearchFile[];
  /** Rows written: packages and paths. */
  packages: number;
  pathCount: number;
}

const clean = (s: string): string => s.replace(/[\t\r\n]+/g, ' ');

function shard(kind: 'n' | 'p', start: number, rows: string[]): SearchFile {
  const content = `zpkgShard(${JSON.stringify(kind)},${start},${JSON.stringify(rows.join('\n'))});\n`;
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
  return { path: `search/${kind}-${hash}.js`, content };
}

export function buildSearchIndex(model: SiteModel, shardBytes = 1 << 20): SearchIndex {
  const names: SearchFile[] = [];
  const pathFiles: SearchFile[] = [];
  let rows: string[] = [];
  let bytes = 0;
  let start = 0;
  model.names.forEach((name, i) => {
    const e = model.packages.get(name)!.versions[0]!.entry;
    const s = slug(name);
    const row = `${name}\t${clean(e.version)}\t${clean(e.summary)}\t${s === name ? '' : s}`;
    rows.push(row);
    bytes += row.length + 1;
    if (bytes >= shardBytes) {
      names.push(shard('n', start, rows));
      start = i + 1;
      rows = [];
      bytes = 0;
    }
  });
  if (rows.length > 0 || names.length === 0) names.push(shard('n', start, rows));
  rows = [];
  bytes = 0;
  let pathCount = 0;
  model.names.forEach((name, i) => {
    for (const p of model.packages.get(name)!.versions[0]!.paths) {
      const row = `${clean(p)}\t${i}`;
      rows.push(row);
      pathCount += 1;
      bytes += row.length + 1;
      if (bytes >= shardBytes) {
        pathFiles.push(shard('p', 0, rows));
        rows = [];
        bytes = 0;
      }
    }
  });
  if (rows.length > 0) pathFiles.push(shard('p', 0, rows));
  return { names, paths: pathFiles, packages: model.names.length, pathCount };
}
