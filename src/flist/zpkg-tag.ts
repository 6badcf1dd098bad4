/**
 * The `zpkg` tag: what an flist exported by zpkg carries beyond its tree, so
 * that importing it gives back the identical manifest. rfs's `tag` table is
 * meant for such extensions ("extra user-defined tags", schema.sql) and rfs
 * ignores tags it does not know, so mounting is unaffected.
 *
 *   {"format":1,
 *    "manifest": "<the manifest's canonical JSON>",
 *    "accounts": {"users": {"root": 0, …}, "groups": {…}},   the ids its owner names were written as
 *    "hooks": {"sha256:…": [["<id hex>", "<key hex>"], …]}}   hook executables, as blocks in the same stores
 *
 * The manifest says what the tree cannot (relations, config files, hooks,
 * services, accounts, hardlinks, owner names); the tree stays the truth for
 * what it can say: an import checks that every path, type, mode, owner id,
 * size, content digest and link target of the manifest is what the tree
 * holds, and refuses the flist when they disagree (an flist edited after its
 * export, or made to lie).
 */
import { canonicalJson } from '../core/canonical-json.js';
import { isDigest, type Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { own, v } from '../core/shape.js';
import { decodeManifest, isPathAction, parseMode, type FileAction, type Manifest } from '../core/manifest.js';
import { HASH_LEN, type FlBlock, type Flist } from './format.js';

export const ZPKG_TAG = 'zpkg';
export const ZPKG_TAG_FORMAT = 1;

export interface Accounts {
  users: Record<string, number>;
  groups: Record<string, number>;
}

export interface ZpkgTag {
  manifest: Manifest;
  manifestBytes: Buffer;
  accounts: Accounts;
  hooks: Map<Digest, FlBlock[]>;
}

export function encodeZpkgTag(manifestBytes: Buffer, accounts: Accounts, hooks: ReadonlyMap<Digest, readonly FlBlock[]>): string {
  const h: Record<string, string[][]> = {};
  for (const [d, blocks] of hooks) h[d] = blocks.map((b) => [b.id.toString('hex'), b.key.toString('hex')]);
  return canonicalJson({ format: ZPKG_TAG_FORMAT, manifest: manifestBytes.toString('utf8'), accounts, hooks: h });
}

function isIdTable(v: unknown): v is Record<string, number> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}

const TAG_OBJECT = own(v.unknown());

export function decodeZpkgTag(value: string, source: string): ZpkgTag {
  const bad = (why: string): ZpkgError => new ZpkgError('E_FLIST_INVALID', `${source}: its \`zpkg\` tag ${why}`, { hint: 'an flist whose tree is right can be imported without it: delete the tag (sqlite3 FL "DELETE FROM tag WHERE key = \'zpkg\'")' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw bad('is not JSON');
  }
  // Own keys only, and an object at all (`null` used to crash on `.format`).
  const shaped = v.safeParse(TAG_OBJECT, parsed);
  if (!shaped.success) throw bad('is not a JSON object');
  const raw = shaped.output as Record<string, unknown>;
  if (raw.format !== ZPKG_TAG_FORMAT) throw bad(`has format ${String(raw.format)}; this zpkg reads format ${ZPKG_TAG_FORMAT}`);
  if (typeof raw.manifest !== 'string') throw bad('has no manifest');
  const manifestBytes = Buffer.from(raw.manifest, 'utf8');
  let manifest: Manifest;
  try {
    manifest = decodeManifest(manifestBytes);
  } catch (err) {
    throw bad(`holds an invalid manifest: ${(err as Error).message}`);
  }
  const accounts = raw.accounts as Accounts | undefined;
  if (!accounts || !isIdTable(accounts.users) || !isIdTable(accounts.groups)) throw bad('has no valid `accounts`');
  const hooks = new Map<Digest, FlBlock[]>();
  const rawHooks = (raw.hooks ?? {}) as Record<string, unknown>;
  for (const [d, list] of Object.entries(rawHooks)) {
    if (!isDigest(d) || !Array.isArray(list)) throw bad('has malformed `hooks`');
    hooks.set(
      d,
      list.map((pair) => {
        const ok = Array.isArray(pair) && pair.length === 2 && pair.every((h) => typeof h === 'string' && new RegExp(`^[0-9a-f]{${HASH_LEN * 2}}$`).test(h));
        if (!ok) throw bad('has a malformed hook block');
        return { id: Buffer.from(pair[0] as string, 'hex'), key: Buffer.from(pair[1] as string, 'hex') };
      }),
    );
  }
  for (const ref of Object.values(manifest.hooks ?? {})) if (ref && !hooks.has(ref.digest)) throw bad(`names no blocks for hook blob ${ref.digest}`);
  return { manifest, manifestBytes, accounts, hooks };
}

/**
 * The first way the tree disagrees with the tag's manifest, or undefined.
 * `digestOf(ino)` is a fetched file's content digest.
 */
export function treeDisagreement(fl: Flist, tag: ZpkgTag, digestOf: (ino: number) => Digest | undefined): string | undefined {
  const byPath = new Map(fl.inodes.filter((i) => i.path !== '').map((i) => [i.path, i]));
  const files = new Map(tag.manifest.actions.filter((a): a is FileAction => a.type === 'file').map((a) => [a.path, a]));
  const id = (name: string, table: Record<string, number>): number | undefined => (/^[0-9]+$/.test(name) ? Number(name) : table[name]);
  const listed = new Set<string>();
  for (const a of tag.manifest.actions) {
    if (!isPathAction(a)) continue;
    listed.add(a.path);
    const i = byPath.get(a.path);
    if (!i) return `\`${a.path}\` is in the manifest but not in the tree`;
    const like = a.type === 'hardlink' ? files.get(a.target)! : a;
    const kind = a.type === 'hardlink' ? 'file' : a.type;
    if (i.kind !== kind) return `\`${a.path}\` is a ${a.type} in the manifest but a ${i.kind} in the tree`;
    if (id(like.owner, tag.accounts.users) !== i.uid || id(like.group, tag.accounts.groups) !== i.gid) {
      return `\`${a.path}\` is owned by ${like.owner}:${like.group} in the manifest but by ${i.uid}:${i.gid} in the tree`;
    }
    if (like.type === 'link') {
      if (like.target !== i.target) return `\`${a.path}\` points to \`${like.target}\` in the manifest but to \`${i.target}\` in the tree`;
      continue;
    }
    if ((i.mode & 0o7777) !== parseMode(like.mode)) return `\`${a.path}\` has mode ${like.mode} in the manifest but ${(i.mode & 0o7777).toString(8).padStart(4, '0')} in the tree`;
    if (like.type === 'file') {
      if (i.size !== like.size) return `\`${a.path}\` has ${like.size} bytes in the manifest but ${i.size} in the tree`;
      if (digestOf(i.ino) !== like.digest) return `\`${a.path}\` holds other content than the manifest says`;
    }
  }
  for (const i of fl.inodes) {
    if (i.path !== '' && !listed.has(i.path) && i.kind !== 'dir') return `\`${i.path}\` is in the tree but not in the manifest`;
  }
  return undefined;
}
