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
import { parse as parseYaml } from 'yaml';
import { ZpkgError } from '../core/errors.js';
import { parseProxyConfig } from '../image/proxy-config.js';
import { PACKAGE_CONFIG_KEYS, parsePackageConfig, type PackageConfig } from '../image/package-config.js';
import { CONFIG_FILE, readConfigText } from '../image/config-file.js';
import { validateFacetSettings } from '../core/facets.js';
import { MAX_TIMEOUT_SECONDS } from '../core/timeout.js';
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
  const section = (v: unknown, name: string, keys: string[]): Record<string, unknown> => {
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) fail(name ? `\`${name}\` must be a mapping` : 'the file must be a mapping of `hooks`, `services`, `on-failure`, `protected`, `state`, `cache`, `proxy`, `limits`, `arch`, `exclude`, `recommends` and `facets`');
    for (const k of Object.keys(v as object)) if (!keys.includes(k)) fail(`unknown key \`${name ? `${name}.` : ''}${k}\` (known: ${keys.join(', ')})`);
    return v as Record<string, unknown>;
  };
  // `limits` is image/limits.ts's.
  const top = section(raw, '', ['hooks', 'services', 'on-failure', 'protected', 'state', 'cache', 'proxy', 'limits', ...PACKAGE_CONFIG_KEYS, 'facets']);
  // `proxy:` is read by the remotes (image/proxy-config.ts); checked here too so a bad one is refused wherever the file is read.
  parseProxyConfig(top.proxy, file);
  const hooks = section(top.hooks, 'hooks', ['mode', 'timeout']);
  const services = section(top.services, 'services', ['manager', 'protected', 'timeout', 'zinit-socket', 'svdir', 's6-scandir']);
  const seconds = (v: unknown, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !(v > 0) || v > MAX_TIMEOUT_SECONDS) fail(`\`${name}\` must be a positive number of seconds, at most ${MAX_TIMEOUT_SECONDS}`);
    return v as number;
  };
  const path = (v: unknown, name: string): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v.startsWith('/')) fail(`\`${name}\` must be an absolute path`);
    return v as string;
  };
  const cfg = defaultConfig();
  if (hooks.mode !== undefined) {
    if (!(HOOK_MODES as readonly unknown[]).includes(hooks.mode)) fail(`\`hooks.mode\` must be one of ${HOOK_MODES.join(', ')}`);
    cfg.hooks.mode = hooks.mode as HookMode;
  }
  cfg.hooks.timeout = seconds(hooks.timeout, 'hooks.timeout', DEFAULT_HOOK_TIMEOUT);
  if (services.manager !== undefined) {
    if (services.manager !== 'auto' && !(SERVICE_KINDS as readonly unknown[]).includes(services.manager)) fail(`\`services.manager\` must be auto or one of ${SERVICE_KINDS.join(', ')}`);
    cfg.services.manager = services.manager as ServiceKind | 'auto';
  }
  if (services.protected !== undefined) {
    if (!Array.isArray(services.protected) || services.protected.some((n) => typeof n !== 'string' || n === '')) fail('`services.protected` must be a list of service names');
    cfg.services.protected = services.protected as string[];
  }
  cfg.services.timeout = seconds(services.timeout, 'services.timeout', DEFAULT_SERVICE_TIMEOUT);
  cfg.services.zinitSocket = path(services['zinit-socket'], 'services.zinit-socket');
  cfg.services.svdir = path(services.svdir, 'services.svdir');
  cfg.services.s6Scandir = path(services['s6-scandir'], 'services.s6-scandir');
  if (top['on-failure'] !== undefined) {
    if (!(ON_FAILURE as readonly unknown[]).includes(top['on-failure'])) fail(`\`on-failure\` must be one of ${ON_FAILURE.join(', ')}`);
    cfg.onFailure = top['on-failure'] as OnFailure;
  }
  if (top.protected !== undefined) {
    if (!Array.isArray(top.protected) || top.protected.some((n) => typeof n !== 'string' || n === '')) fail('`protected` must be a list of package names');
    cfg.protected = top.protected as string[];
  }
  cfg.stateDir = path(top.state, 'state');
  cfg.cacheDir = path(top.cache, 'cache');
  Object.assign(cfg, parsePackageConfig(top, fail));
  cfg.facets = validateFacetSettings(top.facets, file);
  return cfg;
}
