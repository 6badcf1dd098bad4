/** uid/gid ↔ name tables read from a passwd/group file pair (the build host's or an image's). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AccountTable {
  users: Map<string, number>;
  groups: Map<string, number>;
  userNames: Map<number, string>;
  groupNames: Map<number, string>;
}

function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && f[0] && /^[0-9]+$/.test(f[2]!)) out.set(f[0], Number(f[2]));
  }
  return out;
}

function readOr(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Accounts of the system rooted at `root` (`/` for the build host); `root`/0 always exist. */
export function readAccounts(root: string): AccountTable {
  const users = parse(readOr(join(root, 'etc/passwd')));
  const groups = parse(readOr(join(root, 'etc/group')));
  if (!users.has('root')) users.set('root', 0);
  if (!groups.has('root')) groups.set('root', 0);
  const invert = (m: Map<string, number>): Map<number, string> => {
    const out = new Map<number, string>();
    for (const [k, v] of m) if (!out.has(v)) out.set(v, k);
    return out;
  };
  return { users, groups, userNames: invert(users), groupNames: invert(groups) };
}
