/**
 * `user` and `group` actions: accounts a package needs in the image. Before a
 * transaction's files are staged, every declared account the image's
 * `etc/passwd` / `etc/group` lacks is added (and a locked entry to
 * `etc/shadow` / `etc/gshadow` when those exist), so files can be owned by it.
 * An account is never removed or changed: removing a package leaves its users
 * (as dpkg's adduser and apk do), because files they own may outlive it and a
 * freed id must never be handed to someone else.
 *
 * Ids: the declared `uid`/`gid` when given (refused when another account has
 * it), else the lowest free id in the system range 100–999. A user without
 * `group` gets a group of its own name.
 */
import { readAccountFile, readAccounts } from '../image/accounts.js';
import { ZpkgError } from '../core/errors.js';
import type { GroupAction, UserAction } from '../core/manifest.js';
import { resolveInRoot, writeInRoot } from '../fs/in-root.js';

export interface NewGroup {
  name: string;
  gid: number;
  package: string;
}

export interface NewUser {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  package: string;
}

export interface AccountPlan {
  groups: NewGroup[];
  users: NewUser[];
}

const SYSTEM_FIRST = 100;
const SYSTEM_LAST = 999;

/** The accounts `packages` declare that the image lacks, with their ids. */
export function planAccounts(root: string, packages: readonly { name: string; actions: readonly { type: string }[] }[]): AccountPlan {
  const table = readAccounts(root);
  const usedUids = new Set(table.users.values());
  const usedGids = new Set(table.groups.values());
  const plan: AccountPlan = { groups: [], users: [] };
  const declaredGroups = new Map<string, { action: GroupAction; package: string }>();
  const declaredUsers = new Map<string, { action: UserAction; package: string }>();
  for (const p of packages) {
    for (const a of p.actions) {
      if (a.type === 'group') remember(declaredGroups, a as GroupAction, p.name, 'group');
      if (a.type === 'user') remember(declaredUsers, a as UserAction, p.name, 'user');
    }
  }
  const free = (used: Set<number>, kind: string, name: string): number => {
    for (let id = SYSTEM_FIRST; id <= SYSTEM_LAST; id++) if (!used.has(id)) return id;
    throw new ZpkgError('E_MANIFEST_INVALID', `no free ${kind} id in ${SYSTEM_FIRST}–${SYSTEM_LAST} for \`${name}\``);
  };
  const addGroup = (name: string, gid: number | undefined, pkg: string): number => {
    const existing = table.groups.get(name) ?? plan.groups.find((g) => g.name === name)?.gid;
    if (existing !== undefined) return existing;
    if (gid !== undefined && usedGids.has(gid)) {
      throw new ZpkgError('E_MANIFEST_INVALID', `${pkg}: group \`${name}\` wants gid ${gid}, which the image already gives to group \`${[...table.groups].find(([, v]) => v === gid)?.[0] ?? plan.groups.find((g) => g.gid === gid)?.name}\``);
    }
    const id = gid ?? free(usedGids, 'group', name);
    usedGids.add(id);
    plan.groups.push({ name, gid: id, package: pkg });
    return id;
  };
  for (const [name, { action, package: pkg }] of declaredGroups) addGroup(name, action.gid, pkg);
  for (const [name, { action, package: pkg }] of declaredUsers) {
    if (table.users.has(name)) continue;
    for (const k of ['gecos', 'home', 'shell'] as const) {
      if (/[:\n]/.test(action[k] ?? '')) throw new ZpkgError('E_MANIFEST_INVALID', `${pkg}: user \`${name}\`: \`${k}\` may not contain \`:\` or a newline`);
    }
    if (action.uid !== undefined && usedUids.has(action.uid)) {
      throw new ZpkgError('E_MANIFEST_INVALID', `${pkg}: user \`${name}\` wants uid ${action.uid}, which the image already gives to user \`${[...table.users].find(([, v]) => v === action.uid)?.[0] ?? plan.users.find((u) => u.uid === action.uid)?.name}\``);
    }
    const groupName = action.group ?? name;
    if (action.group !== undefined && !table.groups.has(groupName) && !declaredGroups.has(groupName)) {
      throw new ZpkgError('E_MANIFEST_INVALID', `${pkg}: user \`${name}\` has group \`${groupName}\`, which neither the image nor the transaction declares`, { hint: 'declare it with a `group` action' });
    }
    const gid = addGroup(groupName, undefined, pkg);
    const uid = action.uid ?? free(usedUids, 'user', name);
    usedUids.add(uid);
    plan.users.push({ name, uid, gid, gecos: action.gecos ?? '', home: action.home ?? '/nonexistent', shell: action.shell ?? '/usr/sbin/nologin', package: pkg });
  }
  return plan;
}

function remember<T extends { name: string; uid?: number; gid?: number }>(map: Map<string, { action: T; package: string }>, action: T, pkg: string, kind: string): void {
  const seen = map.get(action.name);
  if (seen && JSON.stringify(seen.action) !== JSON.stringify(action)) {
    throw new ZpkgError('E_FILE_CONFLICT', `${kind} \`${action.name}\` is declared differently by ${seen.package} and ${pkg}`, { details: { first: seen.action, second: action } });
  }
  if (!seen) map.set(action.name, { action, package: pkg });
}

/**
 * Appends the planned accounts to the image's account files (each replaced
 * atomically, mode kept), resolved in the image: a link there is followed in
 * the image, never out of it.
 */
export function createAccounts(root: string, plan: AccountPlan): void {
  if (plan.groups.length === 0 && plan.users.length === 0) return;
  const append = (rel: string, lines: string[], create: boolean, mode: number): void => {
    if (lines.length === 0) return;
    const st = resolveInRoot(root, rel).stat;
    if (st === undefined && !create) return;
    const old = st === undefined ? '' : readAccountFile(root, rel);
    const keepMode = st === undefined ? mode : st.mode & 0o7777;
    writeInRoot(root, rel, `${old}${old && !old.endsWith('\n') ? '\n' : ''}${lines.join('\n')}\n`, { mode: keepMode, durable: true });
  };
  append('etc/group', plan.groups.map((g) => `${g.name}:x:${g.gid}:`), true, 0o644);
  append('etc/gshadow', plan.groups.map((g) => `${g.name}:!::`), false, 0o640);
  append('etc/passwd', plan.users.map((u) => `${u.name}:x:${u.uid}:${u.gid}:${u.gecos}:${u.home}:${u.shell}`), true, 0o644);
  append('etc/shadow', plan.users.map((u) => `${u.name}:!:::::::`), false, 0o640);
}
