/**
 * Recipes (`zpkg.yaml`): the author's description of a package — metadata,
 * where its tree comes from (`root:` or `build:`), and what of the tree it
 * holds (recipe-steps.ts). Unknown keys are refused so a typo never goes
 * unnoticed; every path is checked here, before anything runs.
 */
import { lstatSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseYaml } from '../fs/yaml.js';
import { ZpkgError } from '../core/errors.js';
import { isPackageName, parseAtom, parseClause, validateProvide } from '../core/relation.js';
import type { GroupAction, ServiceDecl, UserAction } from '../core/manifest.js';
import { parseVersion } from '../core/version.js';
import {
  ACCOUNT, insidePath, parseAccounts, parseAttributes, parseFacetRules, parseFiles, parseGlobs, parseHooks, parseServices, parseSources,
  type Attributes, type Fail, type FileSelection, type HookFile, type Source,
} from './recipe-steps.js';

export type { Attributes, FileSelection, HookFile, Source } from './recipe-steps.js';

export const RECIPE_FILE = 'zpkg.yaml';

/**
 * Where the tree to pack comes from: exactly one of these keys per recipe.
 * `root:` packs a directory of the recipe as-is; `build:` runs a script that
 * installs into ZPKG_DESTDIR; `from-deb:` unpacks a Debian package (its owners,
 * conffiles and relations come along). Another source adds a variant here and
 * a row in TREE_SOURCES.
 */
export type TreeSource = { from: 'root'; dir: string } | { from: 'build'; script: string } | { from: 'deb'; path: string };

export interface Recipe {
  dir: string;
  file: string;
  name: string;
  version: string;
  summary: string;
  description: string;
  license: string;
  arch: string;
  depends: string[];
  conflicts: string[];
  provides: string[];
  replaces: string[];
  /** Weak dependencies: installed only when the image asks for recommends; suggests are only shown. */
  recommends: string[];
  suggests: string[];
  tree: TreeSource;
  sources: Source[];
  files: FileSelection;
  owner?: string;
  group?: string;
  config: string[];
  attributes: Attributes[];
  hooks: HookFile[];
  services: ServiceDecl[];
  /** `user` and `group` actions: accounts the package needs in the image. */
  accounts: (UserAction | GroupAction)[];
  /** `essential: true`: images never remove it without `--allow-protected`. */
  essential: boolean;
  /** `derive: false`: no so:/file: relations derived from the files (a self-contained bundle that brings its own loader). */
  derive: boolean;
  /** `facets:`: GLOB → facet names its paths get, besides the builder's path rules (core/facets.ts). */
  facets: { glob: string; facets: string[] }[];
}

/** Recipe key → how its value becomes the tree source. */
const TREE_SOURCES: Record<string, (value: unknown, dir: string, fail: Fail) => TreeSource> = {
  root: (v, dir, fail) => {
    if (typeof v !== 'string') fail('`root` must be a path (a directory relative to the recipe)');
    const abs = insidePath(dir, v, '`root`', fail);
    // The recipe directory itself would pack the recipe and its build state.
    if (abs === dir) fail('`root` must be a directory below the recipe, not the recipe directory itself');
    if (!lstatSync(abs).isDirectory()) fail(`\`root\` \`${String(v)}\` is not a directory`);
    return { from: 'root', dir: abs };
  },
  build: (v, _dir, fail) => {
    if (typeof v !== 'string' || v.trim() === '') fail('`build` must be a shell script (a string)');
    return { from: 'build', script: v as string };
  },
  'from-deb': (v, dir, fail) => {
    if (typeof v !== 'string') fail('`from-deb` must be the path of a .deb file relative to the recipe');
    const abs = insidePath(dir, v, '`from-deb`', fail);
    if (!lstatSync(abs).isFile()) fail(`\`from-deb\` \`${String(v)}\` is not a file`);
    return { from: 'deb', path: abs };
  },
};

const KEYS = new Set([
  'name', 'version', 'summary', 'description', 'license', 'arch', 'depends', 'conflicts', 'provides', 'replaces', 'recommends', 'suggests',
  ...Object.keys(TREE_SOURCES), 'sources', 'files', 'owner', 'group', 'config', 'attributes', 'hooks', 'services', 'users', 'groups', 'essential', 'derive', 'facets',
]);

export function loadRecipe(srcDir: string): Recipe {
  const dir = resolve(srcDir);
  const file = join(dir, RECIPE_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ZpkgError('E_RECIPE_INVALID', `no recipe at ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      hint: `a package source directory holds a ${RECIPE_FILE}`,
    });
  }
  return parseRecipe(text, dir, file);
}

export function parseRecipe(text: string, dir: string, file: string): Recipe {
  const fail: Fail = (why: string): never => {
    throw new ZpkgError('E_RECIPE_INVALID', `recipe ${file}: ${why}`);
  };
  let raw: unknown;
  try {
    raw = parseYaml(text, { version: '1.2' });
  } catch (err) {
    fail(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('the recipe must be a mapping of keys');
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) if (!KEYS.has(key)) fail(`unknown key \`${key}\` (known: ${[...KEYS].join(', ')})`);
  const text_ = (key: string, required: boolean, fallback = ''): string => {
    const v = r[key];
    if (v === undefined || v === null) {
      if (required) fail(`\`${key}\` is missing`);
      return fallback;
    }
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') fail(`\`${key}\` must be a string`);
    return v as string;
  };
  const list = (key: string): string[] => {
    const v = r[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) fail(`\`${key}\` must be a list of strings`);
    return v as string[];
  };
  const name = text_('name', true);
  if (!isPackageName(name)) fail(`name \`${name}\` is not a valid package name (lower-case letters, digits, \`+ . -\`)`);
  const version = text_('version', true);
  try {
    parseVersion(version);
  } catch (err) {
    fail((err as Error).message);
  }
  const relations = { depends: list('depends'), conflicts: list('conflicts'), provides: list('provides'), replaces: list('replaces'), recommends: list('recommends'), suggests: list('suggests') };
  for (const [kind, entries] of Object.entries(relations)) {
    for (const entry of entries) {
      try {
        if (kind === 'depends' || kind === 'recommends' || kind === 'suggests') parseClause(entry);
        else {
          const atom = parseAtom(entry);
          if (kind === 'provides') validateProvide(atom, entry);
        }
      } catch (err) {
        fail(`\`${kind}\`: ${(err as Error).message}`);
      }
    }
  }
  const treeKeys = Object.keys(TREE_SOURCES).filter((k) => r[k] !== undefined && r[k] !== null);
  if (treeKeys.length !== 1) {
    fail(treeKeys.length === 0 ? `say where the tree comes from: one of ${Object.keys(TREE_SOURCES).map((k) => `\`${k}\``).join(', ')}` : `${treeKeys.map((k) => `\`${k}\``).join(' and ')} exclude each other: give one`);
  }
  const treeKey = treeKeys[0]!;
  const tree = TREE_SOURCES[treeKey]!(r[treeKey], dir, fail);
  const sources = parseSources(r.sources, dir, fail);
  if (sources.length > 0 && tree.from !== 'build') fail('`sources` are unpacked for a `build:` script; this recipe has none');
  const owner = r.owner === undefined ? undefined : text_('owner', false);
  const group = r.group === undefined ? undefined : text_('group', false);
  for (const [k, v] of [['owner', owner], ['group', group]] as const) if (v !== undefined && !ACCOUNT.test(v)) fail(`\`${k}\` \`${v}\` is not a user or group name`);
  const attributes = parseAttributes(r.attributes, fail);
  const files = parseFiles(r.files, fail);
  const hooks = parseHooks(r.hooks, dir, fail);
  const services = parseServices(r.services, fail);
  const accounts = parseAccounts(r.users, r.groups, fail);
  if (r.derive !== undefined && typeof r.derive !== 'boolean') fail('`derive` must be true or false');
  return {
    dir,
    file,
    name,
    version,
    summary: text_('summary', false),
    description: text_('description', false),
    license: text_('license', false),
    arch: text_('arch', false, 'all'),
    ...relations,
    tree,
    sources,
    files,
    owner,
    group,
    config: parseGlobs(r.config, 'config', fail),
    attributes,
    hooks,
    services,
    accounts,
    essential: r.essential === undefined ? false : r.essential === true ? true : r.essential === false ? false : fail('`essential` must be true or false'),
    derive: r.derive !== false,
    facets: parseFacetRules(r.facets, fail),
  };
}
