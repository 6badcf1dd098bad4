/**
 * The manifest: the canonical JSON description of one package. Its sha256 over
 * the canonical bytes is the package's identity; catalogs name manifests by it.
 *
 * `actions` are what the package delivers (IPS's word). Paths are image paths
 * (relative to the root). `hooks` and `services` are declared here and carried
 * through publish and install; issues 4 and 5 give them behaviour.
 */
import { canonicalJson } from './canonical-json.js';
import { digestOf, isDigest, type Digest } from './digest.js';
import { ZpkgError } from './errors.js';
import { FACET_NAME } from './facet-name.js';
import { imagePathProblem } from './paths.js';
import { isPackageName, parseAtom, parseClause, formatAtom, formatClause, validateProvide, type RelationKind } from './relation.js';
import { parseVersion } from './version.js';
import { MAX_TIMEOUT_SECONDS } from './timeout.js';

export const MANIFEST_FORMAT = 1;

export interface DirAction {
  /** Optional content (core/facets.ts): installed only when the image enables one of them. */
  facets?: string[];
  type: 'dir';
  path: string;
  mode: string;
  owner: string;
  group: string;
  /** The numeric ids the package's archive carried (a .deb's tar): used, with a warning, when `owner`/`group` does not exist in the image (as dpkg and tar do). */
  uid?: number;
  gid?: number;
}

export interface FileAction {
  /** Optional content (core/facets.ts): installed only when the image enables one of them. */
  facets?: string[];
  type: 'file';
  path: string;
  mode: string;
  owner: string;
  group: string;
  size: number;
  digest: Digest;
  /** An administrator's edits survive upgrades and removal. */
  config?: true;
  /** Services to restart when this file changes (IPS's restart_fmri). */
  restart?: string[];
  /** The numeric ids the package's archive carried (a .deb's tar): used, with a warning, when `owner`/`group` does not exist in the image (as dpkg and tar do). */
  uid?: number;
  gid?: number;
}

export interface LinkAction {
  /** Optional content (core/facets.ts): installed only when the image enables one of them. */
  facets?: string[];
  type: 'link';
  path: string;
  target: string;
  /**
   * A link several packages may deliver (core/mediators.ts): the image holds the
   * one of the implementation it chose, else of the highest `priority`.
   */
  mediator?: string;
  /** The implementation's name within the mediator (default: the package's name). */
  implementation?: string;
  /** Default 0; higher wins when the image chose no implementation. */
  priority?: number;
  owner: string;
  group: string;
  /** The numeric ids the package's archive carried (a .deb's tar): used, with a warning, when `owner`/`group` does not exist in the image (as dpkg and tar do). */
  uid?: number;
  gid?: number;
}

export interface HardlinkAction {
  /** Optional content (core/facets.ts): installed only when the image enables one of them. */
  facets?: string[];
  type: 'hardlink';
  path: string;
  /** Image path of a `file` action of the same manifest. */
  target: string;
}

export interface UserAction {
  type: 'user';
  name: string;
  uid?: number;
  group?: string;
  home?: string;
  shell?: string;
  gecos?: string;
}

export interface GroupAction {
  type: 'group';
  name: string;
  gid?: number;
}

export type PathAction = DirAction | FileAction | LinkAction | HardlinkAction;
export type Action = PathAction | UserAction | GroupAction;
export type ActionType = Action['type'];

export const HOOK_PHASES = ['pre-install', 'post-install', 'pre-upgrade', 'post-upgrade', 'pre-remove', 'post-remove'] as const;
export type HookPhase = (typeof HOOK_PHASES)[number];

export interface HookRef {
  digest: Digest;
  size: number;
  /** Seconds; the runner's default applies when absent. */
  timeout?: number;
}

export interface ServiceDecl {
  name: string;
  restart: 'on-upgrade' | 'always' | 'never';
  reload?: boolean;
}

export interface Manifest {
  format: number;
  name: string;
  version: string;
  arch: string;
  summary: string;
  description: string;
  license: string;
  depends: string[];
  conflicts: string[];
  provides: string[];
  replaces: string[];
  /** Weak dependencies (Debian's): installed with the package only when the image asks for recommends; suggests are only shown. Absent when empty. */
  recommends?: string[];
  suggests?: string[];
  actions: Action[];
  hooks?: Partial<Record<HookPhase, HookRef>>;
  services?: ServiceDecl[];
  /** A package the image must keep: zpkg never removes it without being told explicitly (`--allow-protected`). */
  essential?: boolean;
}

export function isPathAction(a: Action): a is PathAction {
  return a.type === 'dir' || a.type === 'file' || a.type === 'link' || a.type === 'hardlink';
}

export function parseMode(mode: string): number {
  return parseInt(mode, 8);
}

export function formatMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Canonical bytes and identity of a manifest. */
export function encodeManifest(m: Manifest): { bytes: Buffer; digest: Digest } {
  const bytes = Buffer.from(canonicalJson(m), 'utf8');
  return { bytes, digest: digestOf(bytes) };
}

// ---- validation -------------------------------------------------------------

const MANIFEST_KEYS = new Set(['format', 'name', 'version', 'arch', 'summary', 'description', 'license', 'depends', 'conflicts', 'provides', 'replaces', 'recommends', 'suggests', 'actions', 'hooks', 'services', 'essential']);
const ACTION_KEYS: Record<ActionType, { required: string[]; optional: string[] }> = {
  dir: { required: ['type', 'path', 'mode', 'owner', 'group'], optional: ['uid', 'gid', 'facets'] },
  file: { required: ['type', 'path', 'mode', 'owner', 'group', 'size', 'digest'], optional: ['config', 'restart', 'uid', 'gid', 'facets'] },
  link: { required: ['type', 'path', 'target', 'owner', 'group'], optional: ['uid', 'gid', 'facets', 'mediator', 'implementation', 'priority'] },
  hardlink: { required: ['type', 'path', 'target'], optional: ['facets'] },
  user: { required: ['type', 'name'], optional: ['uid', 'group', 'home', 'shell', 'gecos'] },
  group: { required: ['type', 'name'], optional: ['gid'] },
};
const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]*\$?$|^[0-9]+$/;
const ARCH = /^[a-z0-9][a-z0-9_-]*$/;
/** A mediator's or an implementation's name: `sh`, `python3`, `busybox`. */
export const MEDIATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

function fail(message: string, pkg?: string): never {
  throw new ZpkgError('E_MANIFEST_INVALID', pkg ? `manifest of \`${pkg}\`: ${message}` : `manifest: ${message}`);
}

function str(value: unknown, what: string, pkg: string | undefined, allowEmpty = true): string {
  if (typeof value !== 'string') fail(`${what} must be a string`, pkg);
  if (!allowEmpty && value.length === 0) fail(`${what} must not be empty`, pkg);
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkMode(mode: unknown, where: string, pkg: string): void {
  if (typeof mode !== 'string' || !/^[0-7]{1,5}$/.test(mode)) fail(`${where}: mode must be an octal string such as "0644"`, pkg);
  if (parseInt(mode, 8) > 0o7777) fail(`${where}: mode ${mode} is outside 0–07777`, pkg);
}

function checkAccount(value: unknown, what: string, where: string, pkg: string): void {
  if (typeof value !== 'string' || !ACCOUNT_NAME.test(value)) fail(`${where}: ${what} \`${String(value)}\` is not a user or group name`, pkg);
}

function describe(a: Record<string, unknown>, index: number): string {
  const id = typeof a.path === 'string' ? ` \`${a.path}\`` : typeof a.name === 'string' ? ` \`${a.name}\`` : '';
  return `action ${index} (${String(a.type)}${id})`;
}

function validateAction(raw: unknown, index: number, pkg: string): Action {
  if (!isObject(raw)) fail(`action ${index} is not an object`, pkg);
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(ACTION_KEYS, type)) fail(`action ${index} has unknown type \`${String(type)}\` (known: dir, file, link, hardlink, user, group)`, pkg);
  const where = describe(raw, index);
  const spec = ACTION_KEYS[type as ActionType];
  for (const key of spec.required) if (!(key in raw)) fail(`${where}: \`${key}\` is missing`, pkg);
  for (const key of Object.keys(raw)) {
    if (!spec.required.includes(key) && !spec.optional.includes(key)) fail(`${where}: unknown key \`${key}\``, pkg);
  }
  if (type === 'user' || type === 'group') {
    checkAccount(raw.name, `${type} name`, where, pkg);
    for (const k of ['uid', 'gid'] as const) {
      if (raw[k] !== undefined && (!Number.isInteger(raw[k]) || (raw[k] as number) < 0 || (raw[k] as number) > 0xfffffffe)) fail(`${where}: \`${k}\` must be an integer id`, pkg);
    }
    if (raw.group !== undefined) checkAccount(raw.group, 'group', where, pkg);
    for (const k of ['home', 'shell', 'gecos'] as const) if (raw[k] !== undefined) str(raw[k], `${where}: \`${k}\``, pkg);
    return raw as unknown as Action;
  }
  const problem = imagePathProblem(raw.path as string);
  if (problem) fail(`${where}: ${problem}`, pkg);
  if (raw.facets !== undefined && (!Array.isArray(raw.facets) || raw.facets.length === 0 || raw.facets.some((f) => typeof f !== 'string' || !FACET_NAME.test(f)))) {
    fail(`${where}: facets must be a non-empty list of facet names (\`doc\`, \`locale.de\`)`, pkg);
  }
  if (type !== 'hardlink') {
    checkAccount(raw.owner, 'owner', where, pkg);
    checkAccount(raw.group, 'group', where, pkg);
    for (const k of ['uid', 'gid'] as const) {
      if (raw[k] !== undefined && (!Number.isInteger(raw[k]) || (raw[k] as number) < 0 || (raw[k] as number) > 0xfffffffe)) fail(`${where}: \`${k}\` must be an integer id`, pkg);
    }
  }
  if (type === 'dir' || type === 'file') checkMode(raw.mode, where, pkg);
  if (type === 'file') {
    if (!Number.isSafeInteger(raw.size) || (raw.size as number) < 0) fail(`${where}: size must be a non-negative integer`, pkg);
    if (!isDigest(raw.digest)) fail(`${where}: digest must be "sha256:<64 hex digits>"`, pkg);
    if (raw.config !== undefined && raw.config !== true) fail(`${where}: config must be true or absent`, pkg);
    if (raw.restart !== undefined && (!Array.isArray(raw.restart) || raw.restart.some((s) => typeof s !== 'string' || !SERVICE_NAME.test(s)))) {
      fail(`${where}: restart must be a list of service names`, pkg);
    }
  }
  if (type === 'link') {
    const target = str(raw.target, `${where}: target`, pkg, false);
    if (target.includes('\0')) fail(`${where}: the link target contains a NUL byte`, pkg);
    for (const k of ['mediator', 'implementation'] as const) {
      if (raw[k] !== undefined && (typeof raw[k] !== 'string' || !MEDIATOR_NAME.test(raw[k] as string))) fail(`${where}: ${k} must be a name (letters, digits, \`. _ + -\`)`, pkg);
    }
    if (raw.implementation !== undefined && raw.mediator === undefined) fail(`${where}: an implementation needs a mediator`, pkg);
    if (raw.priority !== undefined && (!Number.isSafeInteger(raw.priority) || raw.mediator === undefined)) fail(`${where}: priority must be an integer, on a link with a mediator`, pkg);
  }
  if (type === 'hardlink') {
    const tp = imagePathProblem(raw.target as string);
    if (tp) fail(`${where}: target: ${tp}`, pkg);
  }
  return raw as unknown as Action;
}

function validateRelations(raw: unknown, kind: RelationKind | 'recommends' | 'suggests', pkg: string): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail(`\`${kind}\` must be a list of relations`, pkg);
  return raw.map((entry, i) => {
    if (typeof entry !== 'string') fail(`\`${kind}\` entry ${i} must be a string`, pkg);
    try {
      if (kind === 'depends' || kind === 'recommends' || kind === 'suggests') return formatClause(parseClause(entry));
      const atom = parseAtom(entry);
      if (kind === 'provides') validateProvide(atom, entry);
      return formatAtom(atom);
    } catch (err) {
      if (err instanceof ZpkgError) fail(`\`${kind}\` entry ${i}: ${err.message}`, pkg);
      throw err;
    }
  });
}

/**
 * Checks a parsed manifest and returns it typed. Refuses, naming the action and
 * the reason: bad names or versions, unknown keys or action types, unsafe or
 * duplicate paths, paths under a link or a file, modes outside 0–07777,
 * hardlinks to anything but a file of the same package.
 */
export function validateManifest(raw: unknown): Manifest {
  if (!isObject(raw)) fail('it is not a JSON object');
  const name = str(raw.name, '`name`', undefined, false);
  if (!isPackageName(name)) fail(`name \`${name}\` is not a valid package name (lower-case letters, digits, \`+ . -\`)`);
  for (const key of Object.keys(raw)) if (!MANIFEST_KEYS.has(key)) fail(`unknown key \`${key}\``, name);
  if (raw.format !== MANIFEST_FORMAT) fail(`format ${String(raw.format)} is not supported (this zpkg reads format ${MANIFEST_FORMAT})`, name);
  const version = str(raw.version, '`version`', name, false);
  try {
    parseVersion(version);
  } catch (err) {
    fail((err as Error).message, name);
  }
  const arch = str(raw.arch, '`arch`', name, false);
  if (!ARCH.test(arch)) fail(`arch \`${arch}\` is invalid`, name);
  for (const k of ['summary', 'description', 'license'] as const) str(raw[k], `\`${k}\``, name);
  for (const kind of ['depends', 'conflicts', 'provides', 'replaces', 'recommends', 'suggests'] as const) validateRelations(raw[kind], kind, name);
  if (!Array.isArray(raw.actions)) fail('`actions` must be a list', name);
  const actions = raw.actions.map((a, i) => validateAction(a, i, name));
  checkPathLayout(actions, name);
  if (raw.hooks !== undefined) validateHooks(raw.hooks, name);
  if (raw.services !== undefined) validateServices(raw.services, name);
  if (raw.essential !== undefined && typeof raw.essential !== 'boolean') fail('`essential` must be true or false', name);
  return raw as unknown as Manifest;
}

function checkPathLayout(actions: Action[], pkg: string): void {
  const byPath = new Map<string, PathAction>();
  const accounts = new Set<string>();
  actions.forEach((a, i) => {
    if (!isPathAction(a)) {
      const key = `${a.type}:${a.name}`;
      if (accounts.has(key)) fail(`action ${i}: ${a.type} \`${a.name}\` is declared twice`, pkg);
      accounts.add(key);
      return;
    }
    if (byPath.has(a.path)) fail(`action ${i} (${a.type} \`${a.path}\`): the path is delivered twice`, pkg);
    byPath.set(a.path, a);
  });
  for (const a of byPath.values()) {
    let i = a.path.lastIndexOf('/');
    while (i > 0) {
      const parent = a.path.slice(0, i);
      const p = byPath.get(parent);
      if (p && p.type !== 'dir') fail(`${a.type} \`${a.path}\` lies under \`${parent}\`, which is a ${p.type}, not a dir`, pkg);
      i = parent.lastIndexOf('/');
    }
    if (a.type === 'hardlink') {
      const t = byPath.get(a.target);
      if (!t || t.type !== 'file') fail(`hardlink \`${a.path}\`: target \`${a.target}\` is not a file of this package`, pkg);
    }
  }
}

function validateHooks(raw: unknown, pkg: string): void {
  if (!isObject(raw)) fail('`hooks` must be an object of phase → {digest, size}', pkg);
  for (const [phase, ref] of Object.entries(raw)) {
    if (!(HOOK_PHASES as readonly string[]).includes(phase)) fail(`unknown hook phase \`${phase}\` (known: ${HOOK_PHASES.join(', ')})`, pkg);
    if (!isObject(ref) || !isDigest(ref.digest) || !Number.isSafeInteger(ref.size)) fail(`hook \`${phase}\` must be {digest, size[, timeout]}`, pkg);
    for (const k of Object.keys(ref)) if (!['digest', 'size', 'timeout'].includes(k)) fail(`hook \`${phase}\`: unknown key \`${k}\``, pkg);
    if (ref.timeout !== undefined && (!Number.isSafeInteger(ref.timeout) || (ref.timeout as number) <= 0 || (ref.timeout as number) > MAX_TIMEOUT_SECONDS)) fail(`hook \`${phase}\`: timeout must be a positive number of seconds, at most ${MAX_TIMEOUT_SECONDS}`, pkg);
  }
}

function validateServices(raw: unknown, pkg: string): void {
  if (!Array.isArray(raw)) fail('`services` must be a list', pkg);
  const seen = new Set<string>();
  raw.forEach((s, i) => {
    if (!isObject(s) || typeof s.name !== 'string' || !SERVICE_NAME.test(s.name)) fail(`service ${i}: \`name\` is missing or invalid`, pkg);
    if (seen.has(s.name)) fail(`service \`${s.name}\` is declared twice`, pkg);
    seen.add(s.name);
    if (!['on-upgrade', 'always', 'never'].includes(s.restart as string)) fail(`service \`${s.name}\`: restart must be on-upgrade, always or never`, pkg);
    if (s.reload !== undefined && typeof s.reload !== 'boolean') fail(`service \`${s.name}\`: reload must be true or false`, pkg);
    for (const k of Object.keys(s)) if (!['name', 'restart', 'reload'].includes(k)) fail(`service \`${s.name}\`: unknown key \`${k}\``, pkg);
  });
}

/** Parses bytes known to hash to `expected`, then validates. */
export function decodeManifest(bytes: Uint8Array, expected?: Digest): Manifest {
  if (expected !== undefined) {
    const actual = digestOf(bytes);
    if (actual !== expected) {
      throw new ZpkgError('E_DIGEST_MISMATCH', `manifest ${expected} is corrupt: its content hashes to ${actual}`);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (err) {
    fail(`not valid JSON: ${(err as Error).message}`);
  }
  return validateManifest(parsed);
}

/** Sorts actions into canonical order: accounts first (groups, users), then by path. */
export function sortActions(actions: Action[]): Action[] {
  const rank = (a: Action): number => (a.type === 'group' ? 0 : a.type === 'user' ? 1 : 2);
  const key = (a: Action): string => (isPathAction(a) ? a.path : a.name);
  return [...actions].sort((x, y) => rank(x) - rank(y) || (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}
