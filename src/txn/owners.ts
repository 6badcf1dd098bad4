/**
 * Owner and group names of actions resolve through the image's own
 * `etc/passwd` and `etc/group` (not the host's); numeric names pass through;
 * `root` is 0 even in an empty image.
 */
import { ZpkgError } from '../core/errors.js';
import { readAccounts, type AccountTable } from '../build/accounts.js';
import type { AccountPlan } from './accounts.js';

export interface Ids {
  uid(name: string, where: string): number;
  gid(name: string, where: string): number;
}

/** Ids by the image's account files, plus the accounts a transaction is about to create. */
export function imageIds(root: string, created?: AccountPlan): Ids {
  const table: AccountTable = readAccounts(root);
  for (const g of created?.groups ?? []) table.groups.set(g.name, g.gid);
  for (const u of created?.users ?? []) table.users.set(u.name, u.uid);
  const lookup = (map: Map<string, number>, kind: string) => (name: string, where: string): number => {
    if (/^[0-9]+$/.test(name)) return Number(name);
    const id = map.get(name);
    if (id === undefined) {
      throw new ZpkgError('E_MANIFEST_INVALID', `${where}: ${kind} \`${name}\` does not exist in the image`, {
        hint: `the image's etc/${kind === 'user' ? 'passwd' : 'group'} has no such entry; a package that creates it must be installed first`,
      });
    }
    return id;
  };
  return { uid: lookup(table.users, 'user'), gid: lookup(table.groups, 'group') };
}
