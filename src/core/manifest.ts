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
import { isPackageName, parseAtom, parseClause, validateProvide, type RelationKind } from './relation.js';
import { parseVersion } from './version.js';
import { MAX_TIMEOUT_SECONDS } from './timeout.js';
import { own, ownField, v } from './shape.js';
import { ACCOUNT_NAME, acceptedPathAction, MEDIATOR_NAME, MODE_TEXT, SERVICE_NAME } from './action-fast.js';
import { shown } from './shown.js';

export { MEDIATOR_NAME, SERVICE_NAME };

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
//
// The manifest's shape is one valibot schema (MANIFEST_SHAPE below): object
// shapes per action type, chosen by an OWN `type` (`{"type": "constructor"}`
// is an unknown type), then the semantic checks (paths, versions, relations,
// the layout of paths) as checks of the same schema. Its messages are the
// refusals zpkg has always given. A nested schema does not know where it
// sits, so a message marked with TEMPLATE gets its `{where}` (`action 3 (file
// \`etc/x\`)`), `{i}` (an entry's index in its list), `{phase}` or `{service}`
// from the issue's path when it is reported.

const MANIFEST_KEYS = new Set(['format', 'name', 'version', 'arch', 'summary', 'description', 'license', 'depends', 'conflicts', 'provides', 'replaces', 'recommends', 'suggests', 'actions', 'hooks', 'services', 'essential']);
const ACTION_KEYS: Record<ActionType, { required: string[]; optional: string[] }> = {
  dir: { required: ['type', 'path', 'mode', 'owner', 'group'], optional: ['uid', 'gid', 'facets'] },
  file: { required: ['type', 'path', 'mode', 'owner', 'group', 'size', 'digest'], optional: ['config', 'restart', 'uid', 'gid', 'facets'] },
  link: { required: ['type', 'path', 'target', 'owner', 'group'], optional: ['uid', 'gid', 'facets', 'mediator', 'implementation', 'priority'] },
  hardlink: { required: ['type', 'path', 'target'], optional: ['facets'] },
  user: { required: ['type', 'name'], optional: ['uid', 'group', 'home', 'shell', 'gecos'] },
  group: { required: ['type', 'name'], optional: ['gid'] },
};
const ARCH = /^[a-z0-9][a-z0-9_-]*$/;

/** Marks a message whose placeholders are filled from the issue's path. */
const TEMPLATE = '\u0001';
const T = (text: string): string => TEMPLATE + text;
type Message = string | ((issue: v.BaseIssue<unknown>) => string);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each schema here checks its own input
type Shape = v.GenericSchema<any, any>;

/** A value `ok` accepts, else `message`. */
const is = (ok: (x: unknown) => boolean, message: Message) => v.custom<unknown>((x) => ok(x), message);

/** A value for which `problem` finds nothing, else `prefix` + what it found. */
function no(problem: (x: unknown) => string | undefined, prefix = ''): Shape {
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const p = problem(dataset.value);
      if (p) addIssue({ message: prefix + p });
    }),
  );
}

const text = (what: string, nonEmpty = false): Shape =>
  nonEmpty ? v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`)) : v.string(`${what} must be a string`);

/**
 * An object check of `entries` (in their order; other keys allowed) whose
 * missing field is refused with that field's own message for `undefined` — a
 * missing `size` and a `size` of the wrong type read the same. It checks and
 * passes the value on unchanged: valibot's object output would drop
 * `constructor`/`__proto__` keys, which later checks must still see.
 */
function fields(entries: Record<string, Shape>): Shape {
  return checked(objectOf(entries));
}

/** `fields` whose output is valibot's copy (without `constructor`/`__proto__` keys): for values whose keys were checked before. */
function objectOf(entries: Record<string, Shape>): Shape {
  return v.looseObject(entries, (issue) => {
    const key = issue.path?.[0]?.key;
    const schema = typeof key === 'string' && Object.hasOwn(entries, key) ? entries[key] : undefined;
    const r = schema && v.safeParse(schema, undefined, { abortEarly: true });
    return r && !r.success ? r.issues[0]!.message : issue.message;
  });
}

/** `schema` as a check: its first issue (with its path) is reported, the value passes on as it was. */
function checked(schema: Shape): Shape {
  return v.pipe(
    v.unknown(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const r = v.safeParse(schema, dataset.value, { abortEarly: true });
      if (!r.success) addIssue({ message: r.issues[0]!.message, path: r.issues[0]!.path });
    }),
  );
}

/** Refuses an own key not in `allowed`; runs on the own copy (valibot's loose output drops `constructor`/`__proto__`). */
function onlyKeys(allowed: readonly string[], message: (key: string) => string) {
  return v.rawCheck<unknown>(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const key = Object.keys(dataset.value as object).find((k) => !allowed.includes(k));
    if (key !== undefined) addIssue({ message: message(key) });
  });
}

const isId = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xfffffffe;
const IDS = { uid: v.optional(is(isId, T('{where}: `uid` must be an integer id'))), gid: v.optional(is(isId, T('{where}: `gid` must be an integer id'))) };
const account = (what: string): Shape => is((x) => typeof x === 'string' && ACCOUNT_NAME.test(x), (issue) => T(`{where}: ${what} \`${shown(issue.input)}\` is not a user or group name`));
const PATH = no((x) => imagePathProblem(x as string), T('{where}: '));
const FACETS = v.optional(is((x) => Array.isArray(x) && x.length > 0 && x.every((f) => typeof f === 'string' && FACET_NAME.test(f)), T('{where}: facets must be a non-empty list of facet names (`doc`, `locale.de`)')));
const MODE = v.pipe(
  is((x) => typeof x === 'string' && MODE_TEXT.test(x), T('{where}: mode must be an octal string such as "0644"')),
  is((x) => parseInt(x as string, 8) <= 0o7777, (issue) => T(`{where}: mode ${String(issue.input)} is outside 0–07777`)),
);
const OWNED = { path: PATH, facets: FACETS, owner: account('owner'), group: account('group'), ...IDS };
const MEDIATED = (k: string): Shape => v.optional(is((x) => typeof x === 'string' && MEDIATOR_NAME.test(x), T(`{where}: ${k} must be a name (letters, digits, \`. _ + -\`)`)));

const ACTION_SHAPES: Record<ActionType, Shape> = {
  dir: objectOf({ ...OWNED, mode: MODE }),
  file: objectOf({
    ...OWNED,
    mode: MODE,
    size: is((x) => Number.isSafeInteger(x) && (x as number) >= 0, T('{where}: size must be a non-negative integer')),
    digest: is(isDigest, T('{where}: digest must be "sha256:<64 hex digits>"')),
    config: v.optional(is((x) => x === true, T('{where}: config must be true or absent'))),
    restart: v.optional(is((x) => Array.isArray(x) && x.every((s) => typeof s === 'string' && SERVICE_NAME.test(s)), T('{where}: restart must be a list of service names'))),
  }),
  link: v.pipe(
    objectOf({
      ...OWNED,
      target: v.pipe(text(T('{where}: target'), true), is((x) => !(x as string).includes('\0'), T('{where}: the link target contains a NUL byte'))),
      mediator: MEDIATED('mediator'),
      implementation: MEDIATED('implementation'),
    }),
    v.rawCheck<unknown>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const a = dataset.value as Record<string, unknown>;
      if (a.implementation !== undefined && a.mediator === undefined) addIssue({ message: T('{where}: an implementation needs a mediator') });
      else if (a.priority !== undefined && (!Number.isSafeInteger(a.priority) || a.mediator === undefined)) addIssue({ message: T('{where}: priority must be an integer, on a link with a mediator') });
    }),
  ),
  hardlink: objectOf({ path: PATH, facets: FACETS, target: no((x) => imagePathProblem(x as string), T('{where}: target: ')) }),
  user: objectOf({
    name: account('user name'),
    uid: IDS.uid,
    group: v.optional(account('group')),
    home: v.optional(text(T('{where}: `home`'))),
    shell: v.optional(text(T('{where}: `shell`'))),
    gecos: v.optional(text(T('{where}: `gecos`'))),
  }),
  group: objectOf({ name: account('group name'), gid: IDS.gid }),
};

/** One action: an object whose OWN `type` is known, with that type's keys, then that type's shape. */
const ACTION = v.pipe(
  own(
    v.pipe(
      v.unknown(),
      v.rawCheck(({ dataset, addIssue }) => {
        const a = dataset.value as Record<string, unknown>;
        const type = a.type;
        if (typeof type !== 'string' || !Object.hasOwn(ACTION_KEYS, type)) {
          addIssue({ message: T(`action {i} has unknown type \`${shown(type)}\` (known: dir, file, link, hardlink, user, group)`) });
          return;
        }
        const spec = ACTION_KEYS[type as ActionType];
        const missing = spec.required.find((k) => !(k in a));
        if (missing !== undefined) return addIssue({ message: T(`{where}: \`${missing}\` is missing`) });
        const unknown = Object.keys(a).find((k) => !spec.required.includes(k) && !spec.optional.includes(k));
        if (unknown !== undefined) addIssue({ message: T(`{where}: unknown key \`${unknown}\``) });
      }),
    ),
    T('action {i} is not an object'),
  ),
  v.lazy((a) => ACTION_SHAPES[(a as { type: ActionType }).type]),
);

/** Whether the schema alone accepts `a` as one action (action-fast.ts is held to it). */
export function schemaAcceptsAction(a: unknown): boolean {
  return v.safeParse(ACTION, a, { abortEarly: true }).success;
}

/**
 * The list of actions, as `checked(v.array(ACTION))` would check it, but with
 * the schema run only on the actions the fast path (action-fast.ts) cannot
 * vouch for: accounts and anything unusual. When one of those fails, the
 * whole list goes through the schema, whose first issue is then that same
 * action's (every action before it passed), with the path and wording it
 * always had.
 */
const ACTION_LIST = v.array(ACTION);
const ACTIONS: Shape = v.pipe(
  v.unknown(),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const list = dataset.value as unknown[];
    const slow = list.some((a) => !acceptedPathAction(a) && !schemaAcceptsAction(a));
    if (!slow) return;
    const r = v.safeParse(ACTION_LIST, list, { abortEarly: true });
    if (!r.success) addIssue({ message: r.issues[0]!.message, path: r.issues[0]!.path });
  }),
);

/** The canonical spelling of a relation, or the parser's refusal. */
function relationProblem(kind: RelationKind | 'recommends' | 'suggests', entry: string): string | undefined {
  try {
    if (kind === 'depends' || kind === 'recommends' || kind === 'suggests') parseClause(entry);
    else {
      const atom = parseAtom(entry);
      if (kind === 'provides') validateProvide(atom, entry);
    }
    return undefined;
  } catch (err) {
    if (err instanceof ZpkgError) return err.message;
    throw err;
  }
}

const relations = (kind: RelationKind | 'recommends' | 'suggests'): Shape =>
  v.optional(
    v.pipe(
      is(Array.isArray, `\`${kind}\` must be a list of relations`),
      v.array(v.pipe(v.string(T(`\`${kind}\` entry {i} must be a string`)), no((x) => relationProblem(kind, x as string), T(`\`${kind}\` entry {i}: `)))),
    ),
  );

const UNKNOWN_PHASE = (phase: string): string => `unknown hook phase \`${phase}\` (known: ${HOOK_PHASES.join(', ')})`;
const HOOK_REF_SHAPE = T('hook `{phase}` must be {digest, size[, timeout]}');
const HOOK_REF = v.pipe(
  own(v.unknown(), HOOK_REF_SHAPE),
  v.check((r: unknown) => isDigest((r as Record<string, unknown>).digest) && Number.isSafeInteger((r as Record<string, unknown>).size), HOOK_REF_SHAPE),
  onlyKeys(['digest', 'size', 'timeout'], (k) => T(`hook \`{phase}\`: unknown key \`${k}\``)),
  fields({ timeout: v.optional(is((x) => Number.isSafeInteger(x) && (x as number) > 0 && (x as number) <= MAX_TIMEOUT_SECONDS, T(`hook \`{phase}\`: timeout must be a positive number of seconds, at most ${MAX_TIMEOUT_SECONDS}`))) }),
);

const SERVICE_NAME_MESSAGE = T('service {i}: `name` is missing or invalid');
const SERVICE = v.pipe(
  own(v.unknown(), SERVICE_NAME_MESSAGE),
  fields({
    name: is((x) => typeof x === 'string' && SERVICE_NAME.test(x), SERVICE_NAME_MESSAGE),
    restart: is((x) => x === 'on-upgrade' || x === 'always' || x === 'never', T('service `{service}`: restart must be on-upgrade, always or never')),
    reload: v.optional(is((x) => typeof x === 'boolean', T('service `{service}`: reload must be true or false'))),
  }),
  onlyKeys(['name', 'restart', 'reload'], (k) => T(`service \`{service}\`: unknown key \`${k}\``)),
);

const NAME = v.pipe(text('`name`', true), is((x) => isPackageName(x as string), (issue) => `name \`${String(issue.input)}\` is not a valid package name (lower-case letters, digits, \`+ . -\`)`));

/** The whole manifest. Its output is not used: a manifest that passes is returned as parsed. */
const MANIFEST_SHAPE = v.pipe(
  own(
    v.pipe(
      v.unknown(),
      v.rawCheck(({ dataset, addIssue }) => {
        const m = dataset.value as Record<string, unknown>;
        const name = v.safeParse(NAME, m.name, { abortEarly: true });
        if (!name.success) return addIssue({ message: name.issues[0]!.message });
        const unknown = Object.keys(m).find((k) => !MANIFEST_KEYS.has(k));
        if (unknown !== undefined) addIssue({ message: `unknown key \`${unknown}\`` });
      }),
    ),
    'it is not a JSON object',
  ),
  fields({
    format: is((x) => x === MANIFEST_FORMAT, (issue) => `format ${shown(issue.input)} is not supported (this zpkg reads format ${MANIFEST_FORMAT})`),
    version: v.pipe(
      text('`version`', true),
      no((x) => {
        try {
          parseVersion(x as string);
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      }),
    ),
    arch: v.pipe(text('`arch`', true), is((x) => ARCH.test(x as string), (issue) => `arch \`${String(issue.input)}\` is invalid`)),
    summary: text('`summary`'),
    description: text('`description`'),
    license: text('`license`'),
    depends: relations('depends'),
    conflicts: relations('conflicts'),
    provides: relations('provides'),
    replaces: relations('replaces'),
    recommends: relations('recommends'),
    suggests: relations('suggests'),
    // checked: the layout check reads the parsed actions (valibot's copies are slower to read)
    actions: v.pipe(is(Array.isArray, '`actions` must be a list'), ACTIONS, no((x) => pathLayoutProblem(x as Action[]))),
    hooks: v.optional(
      v.pipe(
        own(v.unknown(), '`hooks` must be an object of phase → {digest, size}'),
        checked(v.record(v.pipe(v.string(), v.check((k) => (HOOK_PHASES as readonly string[]).includes(k), (issue) => UNKNOWN_PHASE(String(issue.input)))), HOOK_REF)),
        // v.record skips `constructor`, `__proto__` and `prototype` keys: refused here.
        onlyKeys(HOOK_PHASES, UNKNOWN_PHASE),
      ),
    ),
    services: v.optional(
      v.pipe(
        is(Array.isArray, '`services` must be a list'),
        v.array(SERVICE),
        no((x) => {
          const seen = new Set<string>();
          for (const s of x as ServiceDecl[]) {
            if (seen.has(s.name)) return `service \`${s.name}\` is declared twice`;
            seen.add(s.name);
          }
          return undefined;
        }),
      ),
    ),
    essential: v.optional(is((x) => typeof x === 'boolean', '`essential` must be true or false')),
  }),
);

function describe(a: Record<string, unknown>, index: number): string {
  const id = typeof a.path === 'string' ? ` \`${a.path}\`` : typeof a.name === 'string' ? ` \`${a.name}\`` : '';
  return `action ${index} (${shown(a.type)}${id})`;
}

/** The refusal of `issue`, its placeholders filled from the entry (action, relation, hook, service) it lies in. */
function issueText(issue: v.BaseIssue<unknown>): string {
  if (!issue.message.startsWith(TEMPLATE)) return issue.message;
  const entry = issue.path?.[1];
  return issue.message.slice(1).replace(/\{(where|i|phase|service)\}/, (_, p: string) => {
    if (!entry) return '?';
    if (p === 'where') return describe(entry.value as Record<string, unknown>, entry.key as number);
    if (p === 'service') return shown((entry.value as Record<string, unknown>).name);
    return String(entry.key);
  });
}

/**
 * Checks a parsed manifest and returns it typed. Refuses, naming the action and
 * the reason: bad names or versions, unknown keys or action types, unsafe or
 * duplicate paths, paths under a link or a file, modes outside 0–07777,
 * hardlinks to anything but a file of the same package.
 */
export function validateManifest(raw: unknown): Manifest {
  const r = v.safeParse(MANIFEST_SHAPE, raw, { abortEarly: true });
  if (r.success) return raw as Manifest;
  const name = typeof raw === 'object' && raw !== null ? ownField(raw, 'name') : undefined;
  fail(issueText(r.issues[0]), typeof name === 'string' && isPackageName(name) ? name : undefined);
}

function fail(message: string, pkg?: string): never {
  throw new ZpkgError('E_MANIFEST_INVALID', pkg ? `manifest of \`${pkg}\`: ${message}` : `manifest: ${message}`);
}

/** Duplicate paths and accounts, paths under a non-directory, hardlinks to anything but a file of this package. */
function pathLayoutProblem(actions: Action[]): string | undefined {
  const byPath = new Map<string, PathAction>();
  const accounts = new Set<string>();
  for (const [i, a] of actions.entries()) {
    if (!isPathAction(a)) {
      const key = `${a.type}:${a.name}`;
      if (accounts.has(key)) return `action ${i}: ${a.type} \`${a.name}\` is declared twice`;
      accounts.add(key);
      continue;
    }
    if (byPath.has(a.path)) return `action ${i} (${a.type} \`${a.path}\`): the path is delivered twice`;
    byPath.set(a.path, a);
  }
  // Directories with no non-directory at or above them: their other children skip the walk up.
  const clean = new Set<string>();
  for (const a of byPath.values()) {
    let i = a.path.lastIndexOf('/');
    const above = i > 0 ? a.path.slice(0, i) : '';
    while (i > 0 && !clean.has(above)) {
      const parent = a.path.slice(0, i);
      const p = byPath.get(parent);
      if (p && p.type !== 'dir') return `${a.type} \`${a.path}\` lies under \`${parent}\`, which is a ${p.type}, not a dir`;
      i = parent.lastIndexOf('/');
      if (i <= 0) clean.add(above);
    }
    if (a.type === 'hardlink') {
      const t = byPath.get(a.target);
      if (!t || t.type !== 'file') return `hardlink \`${a.path}\`: target \`${a.target}\` is not a file of this package`;
    }
  }
  return undefined;
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
    // A view, not a copy: a manifest of 300,000 files is 60 MB, and fresh pages cost here (README, "This VM's memory").
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
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
