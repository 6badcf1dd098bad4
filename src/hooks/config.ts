/**
 * The image's lifecycle configuration, `<root>/etc/zpkg/zpkg.yaml`:
 *
 *   hooks:
 *     mode: auto        # auto | chroot | host | skip
 *     timeout: 300      # seconds, for hooks that do not declare their own
 *   services:
 *     manager: auto     # auto | zinit | runit | s6 | systemd | none
 *     protected: [identityd, redis]   # never stopped, started or reloaded by zpkg
 *     timeout: 30       # seconds to wait for a service to stop or start
 *     zinit-socket: /var/run/zinit.sock
 *     svdir: /etc/service
 *     s6-scandir: /run/service
 *   on-failure: keep    # keep | rollback: a post-hook or service start that fails rolls the image back
 *   protected: [zos-base, zpkg]   # packages never removed without --allow-protected
 *   state: /var/cache/zpkg/state  # state.db outside the image (diskless nodes)
 *   cache: /var/cache/zpkg/cache  # the content cache outside the image
 *   proxy: http://proxy.lan:3128  # http(s) remotes' proxy (image/proxy-config.ts)
 *   arch, exclude, recommends     # which packages the image takes: image/package-config.ts
 *   facets: {doc: false, 'locale.*': false, locale.en: true}  # optional content (core/facets.ts)
 *
 * A missing file means every default. `auto` for the manager detects the
 * running supervisor only when the image is `/`: the services of an image in
 * a directory are not this host's, so there it means `none`.
 */
import { join } from 'node:path';
import { parseYaml } from '../fs/yaml.js';
import { ZpkgError } from '../core/errors.js';
import { parseProxyConfig } from '../image/proxy-config.js';
import { ARCH_NAME, PACKAGE_CONFIG_KEYS, parsePackageConfig, type PackageConfig } from '../image/package-config.js';
import { CONFIG_FILE, readConfigText } from '../image/config-file.js';
import { validateFacetSettings } from '../core/facets.js';
import { MAX_TIMEOUT_SECONDS } from '../core/timeout.js';
import { own, v } from '../core/shape.js';
import { SERVICE_KINDS, type ServiceKind } from './services/types.js';

export { CONFIG_FILE };

export const HOOK_MODES = ['auto', 'chroot', 'host', 'skip'] as const;
export type HookMode = (typeof HOOK_MODES)[number];

export const ON_FAILURE = ['keep', 'rollback'] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

export interface LifecycleConfig extends PackageConfig {
  hooks: { mode: HookMode; timeout: number };
  /** What a transaction does when a post-hook or a service start fails after its commit. */
  onFailure: OnFailure;
  /** Packages never removed without `--allow-protected` (besides those whose manifest says `essential`). */
  protected: string[];
  /** Absolute directories for state.db and for the content cache, when they live outside the image. */
  stateDir?: string;
  cacheDir?: string;
  /** Which facets the image holds (core/facets.ts); `zpkg change-facet` settings recorded in state.db win over these. */
  facets: Record<string, boolean>;
  services: {
    manager: ServiceKind | 'auto';
    protected: string[];
    timeout: number;
    zinitSocket?: string;
    svdir?: string;
    s6Scandir?: string;
  };
}

export const DEFAULT_HOOK_TIMEOUT = 300;
export const DEFAULT_SERVICE_TIMEOUT = 30;

export function defaultConfig(): LifecycleConfig {
  return { hooks: { mode: 'auto', timeout: DEFAULT_HOOK_TIMEOUT }, onFailure: 'keep', protected: [], exclude: [], recommends: false, facets: {}, services: { manager: 'auto', protected: [], timeout: DEFAULT_SERVICE_TIMEOUT } };
}

export function readLifecycleConfig(root: string): LifecycleConfig {
  const text = readConfigText(root);
  return text === undefined ? defaultConfig() : parseLifecycleConfig(text, join(root, CONFIG_FILE));
}

const TOP_KEYS = ['hooks', 'services', 'on-failure', 'protected', 'state', 'cache', 'proxy', 'limits', ...PACKAGE_CONFIG_KEYS, 'facets'];
const TOP_MESSAGE = `the file must be a mapping of ${TOP_KEYS.slice(0, -1).map((k) => `\`${k}\``).join(', ')} and \`facets\``;

/** A mapping (null or absent: empty) whose own keys are all in `keys`. */
function mapping(name: string, keys: readonly string[], entries: Record<string, v.GenericSchema>, message = `\`${name}\` must be a mapping`) {
  return v.pipe(
    own(v.unknown(), message),
    v.rawCheck(({ dataset, addIssue }) => {
      const key = Object.keys(dataset.value as object).find((k) => !keys.includes(k));
      if (key !== undefined) addIssue({ message: `unknown key \`${name ? `${name}.` : ''}${key}\` (known: ${keys.join(', ')})` });
    }),
    v.looseObject(entries),
  );
}
const optionalMapping = (name: string, keys: readonly string[], entries: Record<string, v.GenericSchema>) => v.optional(v.nullable(mapping(name, keys, entries)), {});
const oneOf = <T extends string>(values: readonly T[], message: string) => v.optional(v.custom<T>((x) => (values as readonly unknown[]).includes(x), message));
const seconds = (name: string) => v.optional(v.custom<number>((x) => typeof x === 'number' && x > 0 && x <= MAX_TIMEOUT_SECONDS, `\`${name}\` must be a positive number of seconds, at most ${MAX_TIMEOUT_SECONDS}`));
const absolute = (name: string) => v.optional(v.custom<string>((x) => typeof x === 'string' && x.startsWith('/'), `\`${name}\` must be an absolute path`));
const names = (message: string) => v.optional(v.custom<string[]>((x) => Array.isArray(x) && x.every((n) => typeof n === 'string' && n !== ''), message));

/** zpkg.yaml as CONFIG_SHAPE passes it. */
interface ConfigFile {
  hooks?: { mode?: HookMode; timeout?: number } | null;
  services?: { manager?: ServiceKind | 'auto'; protected?: string[]; timeout?: number; 'zinit-socket'?: string; svdir?: string; 's6-scandir'?: string } | null;
  'on-failure'?: OnFailure;
  protected?: string[];
  state?: string;
  cache?: string;
  facets?: Record<string, unknown> | null;
}

/**
 * The shape of zpkg.yaml: its known keys and the type of each value. The
 * values' own syntax (proxy URLs, `exclude` relations, facet patterns, limits)
 * is checked after, by the modules that own those keys.
 */
export const CONFIG_SHAPE = v.pipe(
  mapping('', TOP_KEYS, {}, TOP_MESSAGE),
  v.looseObject({
    hooks: optionalMapping('hooks', ['mode', 'timeout'], { mode: oneOf(HOOK_MODES, `\`hooks.mode\` must be one of ${HOOK_MODES.join(', ')}`), timeout: seconds('hooks.timeout') }),
    services: optionalMapping('services', ['manager', 'protected', 'timeout', 'zinit-socket', 'svdir', 's6-scandir'], {
      manager: oneOf(['auto', ...SERVICE_KINDS] as const, `\`services.manager\` must be auto or one of ${SERVICE_KINDS.join(', ')}`),
      protected: names('`services.protected` must be a list of service names'),
      timeout: seconds('services.timeout'),
      'zinit-socket': absolute('services.zinit-socket'),
      svdir: absolute('services.svdir'),
      's6-scandir': absolute('services.s6-scandir'),
    }),
    'on-failure': oneOf(ON_FAILURE, `\`on-failure\` must be one of ${ON_FAILURE.join(', ')}`),
    protected: names('`protected` must be a list of package names'),
    state: absolute('state'),
    cache: absolute('cache'),
    arch: v.optional(v.custom<string>((x) => typeof x === 'string' && ARCH_NAME.test(x) && x !== 'all', '`arch` must be an architecture name such as amd64 or arm64 (not `all`)')),
    exclude: v.optional(v.custom<string[]>((x) => Array.isArray(x) && x.every((i) => typeof i === 'string'), '`exclude` must be a list of relations such as `foo (= 2.3.1)`')),
    recommends: v.optional(v.boolean('`recommends` must be true or false')),
    facets: v.optional(v.nullable(own(v.record(v.string(), v.unknown()), '`facets` must be a mapping of facet names (or `name.*`) to true or false'))),
    proxy: v.optional(v.unknown()),
    limits: v.optional(v.unknown()),
  }),
);

export function parseLifecycleConfig(text: string, file: string): LifecycleConfig {
  const fail = (why: string): never => {
    throw new ZpkgError('E_CONFIG_INVALID', `${file}: ${why}`, { hint: 'see "Writing hooks" and "Services" in the README' });
  };
  let raw: unknown;
  try {
    raw = parseYaml(text, { version: '1.2' }) ?? {};
  } catch (err) {
    fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = v.safeParse(CONFIG_SHAPE, raw, { abortEarly: true });
  if (!r.success) fail(r.issues[0].message);
  const top = r.output as ConfigFile & Record<string, unknown>;
  // `proxy:` is read by the remotes (image/proxy-config.ts); checked here too so a bad one is refused wherever the file is read. `limits` is image/limits.ts's.
  parseProxyConfig(top.proxy, file);
  const { hooks, services } = top;
  const cfg = defaultConfig();
  if (hooks) {
    cfg.hooks.mode = hooks.mode ?? cfg.hooks.mode;
    cfg.hooks.timeout = hooks.timeout ?? DEFAULT_HOOK_TIMEOUT;
  }
  if (services) {
    cfg.services.manager = services.manager ?? cfg.services.manager;
    cfg.services.protected = services.protected ?? cfg.services.protected;
    cfg.services.timeout = services.timeout ?? DEFAULT_SERVICE_TIMEOUT;
    cfg.services.zinitSocket = services['zinit-socket'];
    cfg.services.svdir = services.svdir;
    cfg.services.s6Scandir = services['s6-scandir'];
  }
  cfg.onFailure = top['on-failure'] ?? cfg.onFailure;
  cfg.protected = top.protected ?? cfg.protected;
  cfg.stateDir = top.state;
  cfg.cacheDir = top.cache;
  Object.assign(cfg, parsePackageConfig(top, fail));
  cfg.facets = validateFacetSettings(top.facets ?? undefined, file);
  return cfg;
}
