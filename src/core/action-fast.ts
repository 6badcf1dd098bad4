/**
 * The fast path of manifest validation: whether a path action (dir, file,
 * link, hardlink) is certainly one the manifest schema accepts, by plain
 * checks on the value as JSON.parse made it. A 20,000-path manifest took
 * 170–190 ms through the valibot schema (it copies each action twice and runs
 * a pipe per field), ~10 ms here; install, verify and fix decode one per package.
 *
 * Contract: `true` only for an action the schema in manifest.ts accepts, with
 * the same predicates on the same fields; `false` says nothing (an account
 * action, an unusual key, a bad value): the caller then runs the schema, which
 * decides and words the refusal. So this file can only make a valid manifest
 * cheaper to read, never let an invalid one through; test/action-fast.test.ts
 * holds the two to the same answers on mutated actions.
 */
import { isDigest } from './digest.js';
import { FACET_NAME } from './facet-name.js';
import { imagePathProblem } from './paths.js';

/** A user or group name, or a numeric id as text. */
export const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]*\$?$|^[0-9]+$/;
/** A mediator's or an implementation's name: `sh`, `python3`, `busybox`. */
export const MEDIATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
export const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;
/** An action's mode as text: octal digits; its value is checked apart (≤ 07777). */
export const MODE_TEXT = /^[0-7]{1,5}$/;

/** Per path action type: its keys, each with whether it is required. */
const KEYS: Record<string, ReadonlyMap<string, boolean>> = {
  dir: keys(['type', 'path', 'mode', 'owner', 'group'], ['uid', 'gid', 'facets']),
  file: keys(['type', 'path', 'mode', 'owner', 'group', 'size', 'digest'], ['config', 'restart', 'uid', 'gid', 'facets']),
  link: keys(['type', 'path', 'target', 'owner', 'group'], ['uid', 'gid', 'facets', 'mediator', 'implementation', 'priority']),
  hardlink: keys(['type', 'path', 'target'], ['facets']),
};

const REQUIRED: Record<string, number> = Object.fromEntries(Object.entries(KEYS).map(([t, m]) => [t, [...m.values()].filter(Boolean).length]));

function keys(required: string[], optional: string[]): ReadonlyMap<string, boolean> {
  return new Map([...required.map((k): [string, boolean] => [k, true]), ...optional.map((k): [string, boolean] => [k, false])]);
}

const isId = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 0xfffffffe;
const isAccount = (x: unknown): boolean => typeof x === 'string' && ACCOUNT_NAME.test(x);
const isPath = (x: unknown): boolean => typeof x === 'string' && imagePathProblem(x) === undefined;
const isMode = (x: unknown): boolean => typeof x === 'string' && MODE_TEXT.test(x) && parseInt(x, 8) <= 0o7777;
const isName = (x: unknown): boolean => typeof x === 'string' && MEDIATOR_NAME.test(x);
const facetsOk = (x: unknown): boolean => x === undefined || (Array.isArray(x) && x.length > 0 && x.every((f) => typeof f === 'string' && FACET_NAME.test(f)));

/** Whether `a` is a path action the manifest schema certainly accepts (see the contract above). */
export function acceptedPathAction(a: unknown): boolean {
  if (typeof a !== 'object' || a === null || Array.isArray(a)) return false;
  const o = a as Record<string, unknown>;
  const type = Object.hasOwn(o, 'type') ? o.type : undefined;
  const spec = typeof type === 'string' && Object.hasOwn(KEYS, type) ? KEYS[type]! : undefined;
  if (!spec) return false;
  // Own enumerable keys, as the schema sees them (it checks a copy made by Object.assign).
  let required = 0;
  for (const k of Object.keys(o)) {
    const r = spec.get(k);
    if (r === undefined) return false;
    if (r) required++;
  }
  if (required !== REQUIRED[type as string] || !isPath(o.path) || !facetsOk(o.facets)) return false;
  if (type === 'hardlink') return isPath(o.target);
  if (!isAccount(o.owner) || !isAccount(o.group)) return false;
  if ((o.uid !== undefined && !isId(o.uid)) || (o.gid !== undefined && !isId(o.gid))) return false;
  switch (type) {
    case 'dir':
      return isMode(o.mode);
    case 'file':
      return (
        isMode(o.mode) &&
        Number.isSafeInteger(o.size) &&
        (o.size as number) >= 0 &&
        isDigest(o.digest) &&
        (o.config === undefined || o.config === true) &&
        (o.restart === undefined || (Array.isArray(o.restart) && o.restart.every((s) => typeof s === 'string' && SERVICE_NAME.test(s))))
      );
    default: {
      // link
      const t = o.target;
      if (typeof t !== 'string' || t.length === 0 || t.includes('\0')) return false;
      if ((o.mediator !== undefined && !isName(o.mediator)) || (o.implementation !== undefined && !isName(o.implementation))) return false;
      if (o.implementation !== undefined && o.mediator === undefined) return false;
      return o.priority === undefined || (Number.isSafeInteger(o.priority) && o.mediator !== undefined);
    }
  }
}
