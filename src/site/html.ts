/**
 * The few rules every page follows: text reaches HTML only through `esc`
 * (so a summary with markup in it is shown, never run); every file name the
 * site writes comes from `slug`, whose output is safe both as a file name and
 * as a URL path segment without further encoding (no `+`, which S3 reads as a
 * space; no `/`, `%` or `:`); links are relative, so the same tree works from
 * nginx, S3, a CDN, the depot or a file:// URL under any prefix.
 */
import { createHash } from 'node:crypto';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or attribute value. */
export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Raw HTML that is already escaped or built from escaped parts. */
export interface Html {
  readonly html: string;
}

export function raw(html: string): Html {
  return { html };
}

/** A tagged template: interpolated strings and numbers are escaped, Html values and arrays of them are inserted as they are. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]) + strings[i + 1]!;
  return { html: out };
}

function part(v: unknown): string {
  if (v === undefined || v === null || v === false) return '';
  if (Array.isArray(v)) return v.map(part).join('');
  if (typeof v === 'object' && 'html' in (v as object)) return (v as Html).html;
  return esc(String(v));
}

const SAFE = /[A-Za-z0-9.-]/;
const MAX_SLUG = 180;

/**
 * A name or version as a file-name segment: `[A-Za-z0-9.-]` kept, every other
 * byte of its UTF-8 as `_hh` (so `_` itself is `_5f`): one-to-one, URL-safe.
 * Names too long for a file system keep a prefix and a hash of the whole.
 */
export function slug(text: string): string {
  let out = '';
  for (const ch of text) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `_${b.toString(16).padStart(2, '0')}`;
  }
  if (out.length > MAX_SLUG) out = `${out.slice(0, 120)}_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
  return out;
}

/** Site paths of each kind of page, relative to the site's root. */
export const paths = {
  index: 'index.html',
  repository: 'repository.html',
  sets: 'sets.html',
  browse: (n: number): string => `browse/${n}.html`,
  pkg: (name: string): string => `p/${slug(name)}.html`,
  virtual: (name: string): string => `v/${slug(name)}.html`,
  set: (name: string): string => `s/${slug(name)}.html`,
  release: (name: string, version: string): string => `r/${slug(name)}@${slug(version)}.html`,
  fileList: (name: string, version: string): string => `p/${slug(name)}@${slug(version)}.files.txt`,
};

/** The anchor of one version's section on its package page. */
export function versionAnchor(version: string): string {
  return `v-${slug(version)}`;
}

/** A link from a page at `from` to the site path `to` (both relative to the site root). */
export function rel(from: string, to: string): string {
  const depth = from.split('/').length - 1;
  return `${'../'.repeat(depth)}${to}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** An ISO time as `2026-12-02 08:22 UTC` (the page keeps the ISO form in `datetime`). */
export function formatTime(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
