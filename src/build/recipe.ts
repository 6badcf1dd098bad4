/**
 * Recipes (`zpkg.yaml`): the author's description of a package. This file reads
 * and checks the metadata part and `root:` (a tree packed as-is); issue 6 adds
 * build steps. Unknown keys are refused so a typo never goes unnoticed.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ZpkgError } from '../core/errors.js';
import { isPackageName, parseAtom, parseClause, validateProvide } from '../core/relation.js';
import { parseVersion } from '../core/version.js';

export const RECIPE_FILE = 'zpkg.yaml';

export interface Attributes {
  /** A glob over image paths (picomatch syntax). */
  path: string;
  owner?: string;
  group?: string;
  mode?: string;
}

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
  /** Absolute path of the tree to pack. */
  root: string;
  owner?: string;
  group?: string;
  config: string[];
  attributes: Attributes[];
}

const KEYS = new Set(['name', 'version', 'summary', 'description', 'license', 'arch', 'depends', 'conflicts', 'provides', 'replaces', 'root', 'owner', 'group', 'config', 'attributes']);
const ACCOUNT = /^[a-z_][a-z0-9_-]*\$?$|^[0-9]+$/;

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
  const fail = (why: string): never => {
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
  const relations = { depends: list('depends'), conflicts: list('conflicts'), provides: list('provides'), replaces: list('replaces') };
  for (const [kind, entries] of Object.entries(relations)) {
    for (const entry of entries) {
      try {
        if (kind === 'depends') parseClause(entry);
        else {
          const atom = parseAtom(entry);
          if (kind === 'provides') validateProvide(atom, entry);
        }
      } catch (err) {
        fail(`\`${kind}\`: ${(err as Error).message}`);
      }
    }
  }
  const root = text_('root', true);
  const owner = r.owner === undefined ? undefined : text_('owner', false);
  const group = r.group === undefined ? undefined : text_('group', false);
  for (const [k, v] of [['owner', owner], ['group', group]] as const) if (v !== undefined && !ACCOUNT.test(v)) fail(`\`${k}\` \`${v}\` is not a user or group name`);
  const attributes = parseAttributes(r.attributes, fail);
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
    root: resolve(dir, root),
    owner,
    group,
    config: list('config'),
    attributes,
  };
}

function parseAttributes(raw: unknown, fail: (why: string) => never): Attributes[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail('`attributes` must be a list of {path, owner?, group?, mode?}');
  return (raw as unknown[]).map((item, i) => {
    if (typeof item !== 'object' || item === null) fail(`attributes[${i}] must be a mapping`);
    const a = item as Record<string, unknown>;
    for (const k of Object.keys(a)) if (!['path', 'owner', 'group', 'mode'].includes(k)) fail(`attributes[${i}]: unknown key \`${k}\``);
    if (typeof a.path !== 'string' || a.path === '') fail(`attributes[${i}]: \`path\` (a glob) is missing`);
    for (const k of ['owner', 'group'] as const) if (a[k] !== undefined && (typeof a[k] !== 'string' || !ACCOUNT.test(a[k] as string))) fail(`attributes[${i}]: \`${k}\` is not a user or group name`);
    let mode: string | undefined;
    if (a.mode !== undefined) {
      // YAML 1.2 reads an unquoted 0755 as the decimal 755: its digits are what the author meant.
      mode = String(a.mode);
      if (!/^[0-7]{1,5}$/.test(mode) || parseInt(mode, 8) > 0o7777) fail(`attributes[${i}]: mode \`${String(a.mode)}\` must be octal within 0–07777 (quote it: "0755")`);
    }
    return { path: a.path as string, owner: a.owner as string | undefined, group: a.group as string | undefined, mode };
  });
}
