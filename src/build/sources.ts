/**
 * Sources: the files a build needs, placed in ZPKG_SRCDIR. A local file is
 * read in place; a URL is fetched once into a content-addressed download
 * cache (`<cache>/sha256-<hex>`) and read from there afterwards, so a build
 * without network works whenever the cache holds what the recipe pins. Every
 * file is checked against its sha256 before use. Archives are unpacked with
 * the system's `tar` (or `unzip`), which refuse members that climb out with
 * `..` or an absolute path.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { ZpkgError } from '../core/errors.js';
import type { Recipe, Source } from './recipe.js';

/** Where downloads are kept: $ZPKG_SOURCE_CACHE, else $XDG_CACHE_HOME/zpkg/sources, else ~/.cache/zpkg/sources. */
export function defaultSourceCache(): string {
  if (process.env.ZPKG_SOURCE_CACHE) return process.env.ZPKG_SOURCE_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'zpkg', 'sources');
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

function label(recipe: Recipe, s: Source): string {
  return `recipe ${recipe.file}: source \`${s.url ?? s.name}\``;
}

async function download(recipe: Recipe, s: Source, cacheDir: string, signal?: AbortSignal): Promise<string> {
  const cached = join(cacheDir, `sha256-${s.sha256}`);
  if (existsSync(cached)) return cached;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.part-${process.pid}`;
  let response: Response;
  try {
    response = await fetch(s.url!, { signal, redirect: 'follow' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ZpkgError('E_SOURCE_UNAVAILABLE', `${label(recipe, s)} cannot be downloaded: ${cause?.code ?? cause?.message ?? (err as Error).message}`, {
      hint: `without network, put the file at ${cached} (its sha256 is checked) or make it a local \`path:\` source`,
    });
  }
  if (!response.ok || !response.body) {
    throw new ZpkgError('E_SOURCE_UNAVAILABLE', `${label(recipe, s)} cannot be downloaded: HTTP ${response.status} ${response.statusText}`);
  }
  try {
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(partial));
    await verify(recipe, s, partial);
    renameSync(partial, cached);
  } finally {
    rmSync(partial, { force: true });
  }
  return cached;
}

async function verify(recipe: Recipe, s: Source, file: string): Promise<void> {
  if (s.sha256 === undefined) return;
  const actual = await sha256File(file);
  if (actual !== s.sha256) {
    throw new ZpkgError('E_DIGEST_MISMATCH', `${label(recipe, s)}: sha256 mismatch: the recipe pins ${s.sha256}, the file hashes to ${actual}`, {
      hint: 'the source changed: check where it comes from, then update `sha256` in the recipe',
    });
  }
}

/** The local file holding a source's verified content, downloading it when needed. */
export async function fetchSource(recipe: Recipe, s: Source, cacheDir: string, signal?: AbortSignal): Promise<string> {
  if (s.path !== undefined) {
    await verify(recipe, s, s.path);
    return s.path;
  }
  const url = new URL(s.url!);
  if (url.protocol === 'file:') {
    const file = fileURLToPath(url);
    if (!existsSync(file)) throw new ZpkgError('E_SOURCE_UNAVAILABLE', `${label(recipe, s)}: ${file} does not exist`);
    await verify(recipe, s, file);
    return file;
  }
  return download(recipe, s, cacheDir, signal);
}

function unpack(recipe: Recipe, s: Source, file: string, srcDir: string): void {
  const zip = s.name.endsWith('.zip');
  const [cmd, args] = zip
    ? ['unzip', ['-q', '-o', file, '-d', srcDir]]
    : ['tar', ['-x', '-f', file, '-C', srcDir, '--no-same-owner', '--no-same-permissions', ...(s.strip ? [`--strip-components=${s.strip}`] : [])]];
  const r = spawnSync(cmd, args as string[], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? `\`${cmd}\` is not installed` : r.error.message : r.stderr.trim().split('\n').slice(-3).join('; ');
    throw new ZpkgError('E_BUILD_FAILED', `${label(recipe, s)} cannot be unpacked: ${why}`);
  }
}

/** Places every source of the recipe in `srcDir`: archives unpacked, other files copied under their name. */
export async function stageSources(recipe: Recipe, srcDir: string, cacheDir: string, signal?: AbortSignal): Promise<void> {
  for (const s of recipe.sources) {
    const file = await fetchSource(recipe, s, cacheDir, signal);
    if (s.extract) unpack(recipe, s, file, srcDir);
    else copyFileSync(file, join(srcDir, s.name));
  }
}
