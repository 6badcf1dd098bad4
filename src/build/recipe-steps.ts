/**
 * The build-step keys of a recipe: `sources`, `files`, `hooks`, `services` and
 * the per-path `attributes`. Each parser takes the raw YAML value and a `fail`
 * that throws E_RECIPE_INVALID naming the recipe; paths are checked here, once,
 * so nothing later can be led outside the recipe directory.
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { FACET_NAME } from '../core/facet-name.js';
import { MEDIATOR_NAME, HOOK_PHASES, SERVICE_NAME, type GroupAction, type HookPhase, type ServiceDecl, type UserAction } from '../core/manifest.js';

export type Fail = (why: string) => never;

export const ACCOUNT = /^[a-z_][a-z0-9_-]*\$?$|^[0-9]+$/;

export interface Attributes {
  /** A glob over image paths (picomatch syntax). */
  path: string;
  owner?: string;
  group?: string;
  mode?: string;
  /** Services to restart when a file matching `path` changes (manifest `restart`). */
  restart?: string[];
  /** Links matching `path` are delivered under this mediator (core/mediators.ts), with this implementation name and priority. */
  mediator?: { name: string; implementation?: string; priority?: number };
}

/** A file the build needs, placed in (or unpacked into) ZPKG_SRCDIR. */
export interface Source {
  /** Absolute path of a local file inside the recipe directory. */
  path?: string;
  url?: string;
  /** Lower-case hex; required for URLs, checked when given for local files. */
  sha256?: string;
  /** Unpack the archive into ZPKG_SRCDIR instead of copying the file there. */
  extract: boolean;
  /** Leading path components dropped when unpacking (tar's --strip-components). */
  strip: number;
  /** File name in ZPKG_SRCDIR when copied, and the name used in messages. */
  name: string;
}

/** Globs over image paths choosing what of the tree the package holds. */
export interface FileSelection {
  include: string[];
  exclude: string[];
}

export interface HookFile {
  phase: HookPhase;
  /** Absolute path of the hook inside the recipe directory. */
  path: string;
  timeout?: number;
}

const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2?|tar\.zst|tzst|zip)$/;

export function isArchive(name: string): boolean {
  return ARCHIVE.test(name);
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(v: Record<string, unknown>, keys: string[], where: string, fail: Fail): void {
  for (const k of Object.keys(v)) if (!keys.includes(k)) fail(`${where}: unknown key \`${k}\` (known: ${keys.join(', ')})`);
}

/**
 * A path the recipe names, resolved against its directory. It must stay inside
 * that directory both as written (no absolute path, no `..` climbing out) and
 * once symlinks are followed; it must exist.
 */
export function insidePath(dir: string, rel: unknown, what: string, fail: Fail): string {
  if (typeof rel !== 'string' || rel === '') fail(`${what} must be a non-empty path`);
  const p = rel as string;
  if (isAbsolute(p)) fail(`${what} \`${p}\` is absolute: paths in a recipe are relative to its directory`);
  const abs = resolve(dir, p);
  const within = (base: string, target: string): boolean => {
    const r = relative(base, target);
    return r === '' || (!r.startsWith('..') && !isAbsolute(r));
  };
  if (!within(dir, abs)) fail(`${what} \`${p}\` escapes the recipe directory`);
  if (!existsSync(abs)) fail(`${what} \`${p}\` does not exist`);
  if (!within(realpathSync(dir), realpathSync(abs))) fail(`${what} \`${p}\` leads outside the recipe directory through a symlink`);
  return abs;
}

/** A glob over image paths: relative, without `.` or `..` components. */
function checkGlob(glob: unknown, what: string, fail: Fail): string {
  if (typeof glob !== 'string' || glob === '') fail(`${what} must be a non-empty glob`);
  const g = glob as string;
  if (g.startsWith('/')) fail(`${what} \`${g}\` is absolute: globs match image paths relative to the tree (\`usr/bin/*\`)`);
  if (g.split('/').some((part) => part === '..' || part === '.')) fail(`${what} \`${g}\` contains \`.\` or \`..\`: it would match outside the tree`);
  return g;
}

export function parseGlobs(raw: unknown, key: string, fail: Fail): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(`\`${key}\` must be a list of globs`);
  return (raw as unknown[]).map((g, i) => checkGlob(g, `\`${key}\`[${i}]`, fail));
}

export function parseFiles(raw: unknown, fail: Fail): FileSelection {
  if (raw === undefined || raw === null) return { include: [], exclude: [] };
  if (!isMapping(raw)) fail('`files` must be a mapping {include: [globs], exclude: [globs]}');
  const f = raw as Record<string, unknown>;
  onlyKeys(f, ['include', 'exclude'], '`files`', fail);
  return { include: parseGlobs(f.include, 'files.include', fail), exclude: parseGlobs(f.exclude, 'files.exclude', fail) };
}

function parseServiceNames(raw: unknown, where: string, fail: Fail): string[] {
  if (!Array.isArray(raw) || raw.some((s) => typeof s !== 'string' || !SERVICE_NAME.test(s))) fail(`${where} must be a list of service names`);
  return raw as string[];
}

export function parseAttributes(raw: unknown, fail: Fail): Attributes[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail('`attributes` must be a list of {path, owner?, group?, mode?, restart?}');
  return (raw as unknown[]).map((item, i) => {
    if (!isMapping(item)) fail(`attributes[${i}] must be a mapping`);
    const a = item as Record<string, unknown>;
    onlyKeys(a, ['path', 'owner', 'group', 'mode', 'restart', 'mediator', 'implementation', 'priority'], `attributes[${i}]`, fail);
    if (typeof a.path !== 'string' || a.path === '') fail(`attributes[${i}]: \`path\` (a glob) is missing`);
    checkGlob(a.path, `attributes[${i}]: \`path\``, fail);
    for (const k of ['owner', 'group'] as const) if (a[k] !== undefined && (typeof a[k] !== 'string' || !ACCOUNT.test(a[k] as string))) fail(`attributes[${i}]: \`${k}\` is not a user or group name`);
    let mode: string | undefined;
    if (a.mode !== undefined) {
      // YAML 1.2 reads an unquoted 0755 as the decimal 755: its digits are what the author meant.
      mode = String(a.mode);
      if (!/^[0-7]{1,5}$/.test(mode) || parseInt(mode, 8) > 0o7777) fail(`attributes[${i}]: mode \`${String(a.mode)}\` must be octal within 0–07777 (quote it: "0755")`);
    }
    const out: Attributes = { path: a.path as string, owner: a.owner as string | undefined, group: a.group as string | undefined, mode };
    if (a.restart !== undefined) out.restart = parseServiceNames(a.restart, `attributes[${i}]: \`restart\``, fail);
    if (a.mediator !== undefined || a.implementation !== undefined || a.priority !== undefined) {
      for (const k of ['mediator', 'implementation'] as const) if (a[k] !== undefined && (typeof a[k] !== 'string' || !MEDIATOR_NAME.test(a[k] as string))) fail(`attributes[${i}]: \`${k}\` must be a name (letters, digits, \`. _ + -\`)`);
      if (a.mediator === undefined) fail(`attributes[${i}]: \`implementation\` and \`priority\` go with a \`mediator\``);
      if (a.priority !== undefined && !Number.isSafeInteger(a.priority)) fail(`attributes[${i}]: \`priority\` must be an integer`);
      out.mediator = { name: a.mediator as string, ...(a.implementation !== undefined ? { implementation: a.implementation as string } : {}), ...(a.priority !== undefined ? { priority: a.priority as number } : {}) };
    }
    return out;
  });
}

const HEX64 = /^[0-9a-f]{64}$/;

export function parseSources(raw: unknown, dir: string, fail: Fail): Source[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail('`sources` must be a list of {path} or {url, sha256}');
  const names = new Set<string>();
  return (raw as unknown[]).map((item, i) => {
    const where = `sources[${i}]`;
    if (!isMapping(item)) fail(`${where} must be a mapping {path} or {url, sha256}`);
    const s = item as Record<string, unknown>;
    onlyKeys(s, ['path', 'url', 'sha256', 'extract', 'strip', 'name'], where, fail);
    if ((s.path === undefined) === (s.url === undefined)) fail(`${where}: give exactly one of \`path\` (a local file) or \`url\``);
    let sha256: string | undefined;
    if (s.sha256 !== undefined) {
      const text = String(s.sha256).toLowerCase().replace(/^sha256:/, '');
      if (!HEX64.test(text)) fail(`${where}: \`sha256\` must be 64 hex digits`);
      sha256 = text;
    }
    let path: string | undefined;
    let url: string | undefined;
    let base: string;
    if (s.path !== undefined) {
      path = insidePath(dir, s.path, `${where}: source`, fail);
      if (!statSync(path).isFile()) fail(`${where}: source \`${String(s.path)}\` is not a file`);
      base = path.slice(path.lastIndexOf('/') + 1);
    } else {
      if (typeof s.url !== 'string') fail(`${where}: \`url\` must be a string`);
      let parsed: URL;
      try {
        parsed = new URL(s.url as string);
      } catch {
        fail(`${where}: \`${String(s.url)}\` is not a URL`);
      }
      if (!['http:', 'https:', 'file:'].includes(parsed!.protocol)) fail(`${where}: \`${String(s.url)}\`: only http, https and file URLs are supported`);
      if (sha256 === undefined) fail(`${where}: a URL source needs \`sha256\` (the digest pins what the build uses)`);
      url = s.url as string;
      base = decodeURIComponent(parsed!.pathname.slice(parsed!.pathname.lastIndexOf('/') + 1));
    }
    if (s.name !== undefined && (typeof s.name !== 'string' || !/^[^/\0]+$/.test(s.name) || s.name === '.' || s.name === '..')) fail(`${where}: \`name\` must be a plain file name`);
    const name = (s.name as string | undefined) ?? base;
    if (!name) fail(`${where}: the URL names no file: give \`name\``);
    if (names.has(name)) fail(`${where}: another source is also named \`${name}\``);
    names.add(name);
    if (s.extract !== undefined && typeof s.extract !== 'boolean') fail(`${where}: \`extract\` must be true or false`);
    const extract = (s.extract as boolean | undefined) ?? isArchive(name);
    if (extract && !isArchive(name)) fail(`${where}: \`${name}\` is not an archive zpkg can unpack (.tar, .tar.gz, .tar.xz, .tar.bz2, .tar.zst, .zip)`);
    if (s.strip !== undefined && (!Number.isSafeInteger(s.strip) || (s.strip as number) < 0)) fail(`${where}: \`strip\` must be a non-negative integer`);
    if (s.strip !== undefined && (!extract || name.endsWith('.zip'))) fail(`${where}: \`strip\` applies only to a tar archive that is extracted`);
    return { path, url, sha256, extract, strip: (s.strip as number | undefined) ?? 0, name };
  });
}

export function parseHooks(raw: unknown, dir: string, fail: Fail): HookFile[] {
  if (raw === undefined || raw === null) return [];
  if (!isMapping(raw)) fail(`\`hooks\` must be a mapping of phase → file (phases: ${HOOK_PHASES.join(', ')})`);
  return Object.entries(raw as Record<string, unknown>).map(([phase, v]) => {
    if (!(HOOK_PHASES as readonly string[]).includes(phase)) fail(`unknown hook phase \`${phase}\` (known: ${HOOK_PHASES.join(', ')})`);
    const where = `hooks.${phase}`;
    const spec = isMapping(v) ? v : { path: v };
    onlyKeys(spec, ['path', 'timeout'], where, fail);
    const path = insidePath(dir, spec.path, `${where}: hook`, fail);
    if (!statSync(path).isFile()) fail(`${where}: hook \`${String(spec.path)}\` is not a file`);
    if (spec.timeout !== undefined && (!Number.isSafeInteger(spec.timeout) || (spec.timeout as number) <= 0)) fail(`${where}: \`timeout\` must be a positive whole number of seconds`);
    return { phase: phase as HookPhase, path, ...(spec.timeout !== undefined ? { timeout: spec.timeout as number } : {}) };
  });
}

export function parseServices(raw: unknown, fail: Fail): ServiceDecl[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail('`services` must be a list of {name, restart?, reload?}');
  const seen = new Set<string>();
  return (raw as unknown[]).map((item, i) => {
    const where = `services[${i}]`;
    if (!isMapping(item)) fail(`${where} must be a mapping {name, restart?, reload?}`);
    const s = item as Record<string, unknown>;
    onlyKeys(s, ['name', 'restart', 'reload'], where, fail);
    if (typeof s.name !== 'string' || !SERVICE_NAME.test(s.name)) fail(`${where}: \`name\` is missing or not a service name`);
    const name = s.name as string;
    if (seen.has(name)) fail(`${where}: service \`${name}\` is declared twice`);
    seen.add(name);
    const restart = s.restart ?? 'on-upgrade';
    if (!['on-upgrade', 'always', 'never'].includes(restart as string)) fail(`${where}: \`restart\` must be on-upgrade, always or never`);
    if (s.reload !== undefined && typeof s.reload !== 'boolean') fail(`${where}: \`reload\` must be true or false`);
    const out: ServiceDecl = { name, restart: restart as ServiceDecl['restart'] };
    if (s.reload === true) out.reload = true;
    return out;
  });
}

/** `users:` and `groups:` → `user`/`group` actions; the manifest validation checks names, ids and fields. */
export function parseAccounts(users: unknown, groups: unknown, fail: Fail): (UserAction | GroupAction)[] {
  const out: (UserAction | GroupAction)[] = [];
  const list = (raw: unknown, key: string, keys: string[]): Record<string, unknown>[] => {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw)) fail(`\`${key}\` must be a list of {${keys.join(', ')}}`);
    return (raw as unknown[]).map((item, i) => {
      if (!isMapping(item)) fail(`${key}[${i}] must be a mapping {${keys.join(', ')}}`);
      onlyKeys(item as Record<string, unknown>, keys, `${key}[${i}]`, fail);
      if (typeof (item as Record<string, unknown>).name !== 'string') fail(`${key}[${i}]: \`name\` is missing`);
      return item as Record<string, unknown>;
    });
  };
  for (const g of list(groups, 'groups', ['name', 'gid'])) out.push({ type: 'group', ...(g as { name: string; gid?: number }) });
  for (const u of list(users, 'users', ['name', 'uid', 'group', 'home', 'shell', 'gecos'])) out.push({ type: 'user', ...(u as { name: string }) });
  return out;
}

/** `facets: {GLOB: NAME | [NAME...]}`: facets for the paths a glob matches (core/facets.ts). */
export function parseFacetRules(raw: unknown, fail: Fail): { glob: string; facets: string[] }[] {
  if (raw === undefined || raw === null) return [];
  if (!isMapping(raw)) fail('`facets` must be a mapping of globs to a facet name or a list of them');
  return Object.entries(raw as Record<string, unknown>).map(([glob, v]) => {
    const facets = typeof v === 'string' ? [v] : Array.isArray(v) ? v : fail(`\`facets\` \`${glob}\`: give a facet name or a list of them`);
    for (const f of facets as unknown[]) if (typeof f !== 'string' || !FACET_NAME.test(f)) fail(`\`facets\` \`${glob}\`: \`${String(f)}\` is not a facet name (e.g. \`doc\`, \`locale.de\`, \`devel\`)`);
    return { glob: checkGlob(glob, `\`facets\` key \`${glob}\``, fail), facets: facets as string[] };
  });
}
