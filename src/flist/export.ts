/**
 * `zpkg export-flist`: a package (published or installed, source.ts) as an
 * rfs flist — its tree in an `.fl`, its contents as blocks in the stores.
 *
 * | package                      | flist                                                          |
 * | ---                          | ---                                                            |
 * | `dir`                        | directory inode, `S_IFDIR | mode`, size 4096                   |
 * | `file`                       | regular inode, `S_IFREG | mode`, its content cut into 512 KiB blocks (pack.rs) |
 * | `link`                       | symlink inode, `S_IFLNK | 0777`, size = target length, target in `extra` |
 * | `hardlink`                   | a regular inode of its own with the target's mode, owner and blocks (flists have no hard links; the blocks are shared, not stored twice) |
 * | a parent no action declares  | directory inode `0755` root:root                               |
 * | owner / group names          | ids by the image's account files (uid/gid columns)            |
 * | hooks, services, relations, config files, accounts, names | the `zpkg` tag (zpkg-tag.ts); rfs ignores it |
 * | times                        | every ctime/mtime = SOURCE_DATE_EPOCH, else 0: an export is the same whenever it runs |
 *
 * Blocks are sealed exactly as rfs seals them (block.ts), so they are
 * content-addressed the same way: a block any flist already put in a store
 * is not stored again. All blocks are in the stores (and synced) before the
 * `.fl` appears under its name.
 */
import type { Digest } from '../core/digest.js';
import { ZpkgError } from '../core/errors.js';
import { encodeManifest, isPathAction, parseMode, type FileAction, type PathAction } from '../core/manifest.js';
import { parentOf } from '../core/paths.js';
import type { Report } from '../report/report.js';
import { sealBlock } from './block.js';
import { BLOCK_SIZE, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, type FlBlock, type FlRoute } from './format.js';
import { BlockRouter } from './router.js';
import type { PackageSource } from './source.js';
import { parseStoreSpec, withoutPassword } from './stores/open.js';
import { writeFlist, type InodeRow } from './write.js';
import { encodeZpkgTag, ZPKG_TAG, type Accounts } from './zpkg-tag.js';

export interface ExportFlistOptions {
  /** `[XX-YY=]URL` of each store the blocks go to (and the routes the flist names). */
  stores: readonly string[];
  /** The `.fl` to write. */
  output: string;
  /** Keep store passwords in the route rows (rfs `--no-strip-password`). */
  keepPasswords?: boolean;
  /** ctime/mtime of every inode (default SOURCE_DATE_EPOCH, else 0). */
  time?: number;
  report: Report;
}

export interface ExportFlistResult {
  name: string;
  version: string;
  manifest: Digest;
  output: string;
  inodes: number;
  files: number;
  /** Blocks the flist names (a block shared by several files counts once). */
  blocks: number;
  /** Of those, how many were stored now (in at least one store). */
  blocksWritten: number;
  /** Bytes of the blocks stored now. */
  bytesWritten: number;
  routes: FlRoute[];
}

const DIR_SIZE = 4096;

function defaultTime(): number {
  const e = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isSafeInteger(e) && e >= 0 ? e : 0;
}

export async function exportFlist(source: PackageSource, o: ExportFlistOptions): Promise<ExportFlistResult> {
  if (o.stores.length === 0) throw new ZpkgError('E_INPUT_INVALID', 'an export needs at least one store for the blocks (--store URL)');
  const specs = o.stores.map(parseStoreSpec);
  for (const s of specs) if (/^https?:/i.test(s.url)) throw new ZpkgError('E_URL_INVALID', `store \`${s.url}\`: an http(s) store is read-only (rfs cannot upload to one either)`, { hint: 'export into a dir://, s3:// or zdb:// store and serve that over HTTP' });
  const covered = new Set<number>();
  for (const s of specs) for (let b = s.start; b <= s.end; b++) covered.add(b);
  if (covered.size !== 256) throw new ZpkgError('E_INPUT_INVALID', `the stores' ranges leave ${256 - covered.size} of the 256 first bytes of a block id without a store`, { hint: 'cover 00-ff, e.g. --store 00-7f=URL1 --store 80-ff=URL2' });

  const { manifest } = source;
  const time = o.time ?? defaultTime();
  const router = new BlockRouter(specs, '--store');
  const sealed = new Map<Digest, FlBlock[]>();
  const seen = new Set<string>();
  let blocksWritten = 0;
  let bytesWritten = 0;
  const fileActions = new Map(manifest.actions.filter((a): a is FileAction => a.type === 'file').map((a) => [a.path, a]));
  const hookRefs = Object.values(manifest.hooks ?? {}).map((r) => r!);
  const sizes = new Map<Digest, number>([...fileActions.values()].map((a) => [a.digest, a.size]));
  for (const r of hookRefs) sizes.set(r.digest, r.size);
  const total = [...sizes.values()].reduce((n, s) => n + Math.ceil(s / BLOCK_SIZE), 0);
  const progress = o.report.progress('export', total);

  /** The blocks of a blob, sealed and stored once per export. */
  const blocksOf = async (digest: Digest, size: number, where: string): Promise<FlBlock[]> => {
    const have = sealed.get(digest);
    if (have) return have;
    const content = await source.content(digest);
    if (content.length !== size) throw new ZpkgError('E_DIGEST_MISMATCH', `${where}: ${content.length} bytes, but the manifest says ${size}`);
    const blocks: FlBlock[] = [];
    for (let off = 0; off < content.length; off += BLOCK_SIZE) {
      const b = await sealBlock(content.subarray(off, off + BLOCK_SIZE));
      const hex = b.id.toString('hex');
      if (!seen.has(hex)) {
        seen.add(hex);
        if ((await router.put(b.id, b.stored, where)) > 0) {
          blocksWritten += 1;
          bytesWritten += b.stored.length;
        }
      }
      blocks.push({ id: b.id, key: b.key });
      progress.tick(1, Math.min(BLOCK_SIZE, content.length - off));
    }
    sealed.set(digest, blocks);
    return blocks;
  };

  try {
    const accounts: Accounts = { users: {}, groups: {} };
    const idOf = (name: string, kind: 'user' | 'group', where: string): number => {
      const id = kind === 'user' ? source.ids.uid(name, where) : source.ids.gid(name, where);
      if (!/^[0-9]+$/.test(name)) (kind === 'user' ? accounts.users : accounts.groups)[name] = id;
      return id;
    };
    const rows: InodeRow[] = [{ ino: 1, parent: 0, name: '/', size: DIR_SIZE, uid: 0, gid: 0, mode: S_IFDIR | 0o755, rdev: 0, ctime: time, mtime: time }];
    const inoOf = new Map<string, number>([['', 1]]);
    const ensureDir = (path: string): number => {
      const have = inoOf.get(path);
      if (have !== undefined) return have;
      const parent = ensureDir(parentOf(path));
      const ino = rows.length + 1;
      rows.push({ ino, parent, name: path.slice(path.lastIndexOf('/') + 1), size: DIR_SIZE, uid: 0, gid: 0, mode: S_IFDIR | 0o755, rdev: 0, ctime: time, mtime: time });
      inoOf.set(path, ino);
      return ino;
    };
    const pathActions = manifest.actions.filter(isPathAction).sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
    for (const a of pathActions as PathAction[]) {
      const where = `${manifest.name} ${manifest.version}: ${a.path}`;
      const parent = ensureDir(parentOf(a.path));
      const ino = rows.length + 1;
      const base = { ino, parent, name: a.path.slice(a.path.lastIndexOf('/') + 1), rdev: 0, ctime: time, mtime: time };
      if (a.type === 'dir') {
        rows.push({ ...base, size: DIR_SIZE, uid: idOf(a.owner, 'user', where), gid: idOf(a.group, 'group', where), mode: S_IFDIR | parseMode(a.mode) });
      } else if (a.type === 'link') {
        rows.push({ ...base, size: Buffer.byteLength(a.target), uid: idOf(a.owner, 'user', where), gid: idOf(a.group, 'group', where), mode: S_IFLNK | 0o777, target: a.target });
      } else {
        const f = a.type === 'file' ? a : fileActions.get(a.target)!;
        const blocks = await blocksOf(f.digest, f.size, where);
        rows.push({ ...base, size: f.size, uid: idOf(f.owner, 'user', where), gid: idOf(f.group, 'group', where), mode: S_IFREG | parseMode(f.mode), blocks });
      }
      inoOf.set(a.path, ino);
    }
    const hooks = new Map<Digest, FlBlock[]>();
    for (const [phase, ref] of Object.entries(manifest.hooks ?? {})) hooks.set(ref!.digest, await blocksOf(ref!.digest, ref!.size, `${manifest.name} ${manifest.version}: ${phase} hook`));
    await router.sync();
    progress.done(`${seen.size} blocks, ${blocksWritten} stored now`);

    const encoded = encodeManifest(manifest);
    if (encoded.digest !== source.digest) throw new ZpkgError('E_DIGEST_MISMATCH', `${source.origin}: the manifest of ${manifest.name} is not in canonical form (${encoded.digest}, not ${source.digest})`);
    const tags = new Map<string, string>([[ZPKG_TAG, encodeZpkgTag(encoded.bytes, accounts, hooks)], ['version', manifest.version]]);
    if (manifest.summary) tags.set('description', manifest.summary);
    const routes: FlRoute[] = specs.map((s) => ({ start: s.start, end: s.end, url: o.keepPasswords ? s.url : withoutPassword(s.url) }));
    writeFlist(o.output, { inodes: rows, tags, routes });
    return {
      name: manifest.name,
      version: manifest.version,
      manifest: source.digest,
      output: o.output,
      inodes: rows.length,
      files: rows.filter((r) => (r.mode & S_IFMT) === S_IFREG).length,
      blocks: seen.size,
      blocksWritten,
      bytesWritten,
      routes,
    };
  } finally {
    await router.close();
  }
}
