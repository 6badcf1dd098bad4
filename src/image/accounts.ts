/**
 * Accounts of a system: uid/gid ↔ name tables read from its `etc/passwd` and
 * `etc/group` (the build host's, or an image's — never the host's for an
 * image), and the id lookup that owner and group names of actions go through.
 */
import { ZpkgError } from '../core/errors.js';
import { readInRoot } from '../fs/in-root.js';

export interface AccountTable {
  users: Map<string, number>;
  groups: Map<string, number>;
  userNames: Map<number, string>;
  groupNames: Map<number, string>;
}

/** `name → id` from the text of an `etc/passwd` or `etc/group` file (the first three fields of each line). */
export function parseAccountFile(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] && /^[0-9]+$/.test(f[2]!)) out.set(f[0], Number(f[2]));
  }
  return out;
}

/** The most bytes an account file may hold (a system with 100,000 accounts fits). */
export const ACCOUNT_FILE_LIMIT = 16 * 1024 * 1024;

/** An account file of the system at `root`, resolved in it and read bounded; '' when missing. */
export function readAccountFile(root: string, rel: string): string {
  return readInRoot(root, rel, { maxBytes: ACCOUNT_FILE_LIMIT, hint: `the image's ${rel} must be a regular file; repair it by hand` })?.toString('utf8') ?? '';
}

/** Accounts of the system rooted at `root` (`/` for the build host); `root`/0 always exist. */
export function readAccounts(root: string): AccountTable {
  const users = parseAccountFile(readAccountFile(root, 'etc/passwd'));
  const groups = parseAccountFile(readAccountFile(root, 'etc/group'));
  if (!users.has('root')) users.set('root', 0);
  if (!groups.has('root')) groups.set('root', 0);
  const invert = (m: Map<string, number>): Map<number, string> => {
    const out = new Map<number, string>();
    for (const [k, v] of m) if (!out.has(v)) out.set(v, k);
    return out;
  };
  return { users, groups, userNames: invert(users), groupNames: invert(groups) };
}

/** Resolves owner and group names of actions to ids. */
export interface Ids {
  /** The id of NAME; when the image has no such account, FALLBACK (the archive's numeric id) if given, else a refusal. */
  uid(name: string, where: string, fallback?: number): number;
  gid(name: string, where: string, fallback?: number): number;
}

/**
 * Ids by the image's own account files, plus accounts a transaction is about
 * to create; numeric names pass through; `root` is 0 even in an empty image.
 */
export function imageIds(root: string, created?: { groups: readonly { name: string; gid: number }[]; users: readonly { name: string; uid: number }[] }, onFallback?: (warning: string) => void): Ids {
  const table = readAccounts(root);
  for (const g of created?.groups ?? []) table.groups.set(g.name, g.gid);
  for (const u of created?.users ?? []) table.users.set(u.name, u.uid);
  const warned = new Set<string>();
  const lookup = (map: Map<string, number>, kind: 'user' | 'group') => (name: string, where: string, fallback?: number): number => {
    if (/^[0-9]+$/.test(name)) return Number(name);
    const id = map.get(name);
    if (id === undefined && fallback !== undefined) {
      // As dpkg and tar do: the numeric id the archive carries; said once per account.
      if (!warned.has(`${kind}\0${name}`)) onFallback?.(`${where}: ${kind} \`${name}\` does not exist in the image; the archive's numeric id ${fallback} is used (and recorded)`);
      warned.add(`${kind}\0${name}`);
      return fallback;
    }
    if (id === undefined) {
      throw new ZpkgError('E_MANIFEST_INVALID', `${where}: ${kind} \`${name}\` does not exist in the image`, {
        hint: `the image's etc/${kind === 'user' ? 'passwd' : 'group'} has no such entry; a package that creates it must be installed first`,
      });
    }
    return id;
  };
  return { uid: lookup(table.users, 'user'), gid: lookup(table.groups, 'group') };
}
