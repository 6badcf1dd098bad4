/**
 * Relations in Debian syntax: `name`, `name (>= 1.2)`, alternatives `a | b`.
 * Names are package names (`[a-z0-9][a-z0-9+.-]*`: Debian policy 5.6.1, one character allowed) or
 * capabilities the builder generates: `so:libc.so.6`, `so:libc.so.6(GLIBC_2.34)`
 * and `file:/usr/bin/python3`. A clause is a list of alternatives; `depends`
 * holds clauses, while `conflicts`, `provides` and `replaces` hold single atoms.
 */
import { ZpkgError } from './errors.js';
import { compareVersions, parseVersion } from './version.js';

export type Operator = '<<' | '<=' | '=' | '>=' | '>>';

export interface Constraint {
  op: Operator;
  version: string;
}

export interface Atom {
  name: string;
  constraint?: Constraint;
}

/** Alternatives: satisfied when any atom is. */
export type Clause = Atom[];

export type RelationKind = 'depends' | 'conflicts' | 'provides' | 'replaces';
export const RELATION_KINDS: readonly RelationKind[] = ['depends', 'conflicts', 'provides', 'replaces'];

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]*$/;
const SO_NAME = /^so:[A-Za-z0-9_.+-]+(\([A-Za-z0-9_.+@-]+\))?$/;
const FILE_NAME = /^file:\/[^\s|,()]*$/;
/** `gcc:i386`: a package of another architecture, which no package of this image's architecture satisfies. */
const ARCH_QUALIFIED = /^[a-z0-9][a-z0-9+.-]*:[a-z0-9-]+$/;

/** A name a package may carry itself (not a capability). */
export function isPackageName(name: string): boolean {
  return PACKAGE_NAME.test(name);
}

/** A name a relation may mention: a package name or a generated capability. */
export function isRelationName(name: string): boolean {
  return PACKAGE_NAME.test(name) || SO_NAME.test(name) || FILE_NAME.test(name) || ARCH_QUALIFIED.test(name);
}

export function assertPackageName(name: string, what = 'package name'): void {
  if (!isPackageName(name)) {
    throw new ZpkgError('E_NAME_INVALID', `${what} \`${name}\` is invalid: use lower-case letters, digits and \`+ . -\`, starting with a letter or digit`);
  }
}

function relationError(text: string, reason: string): ZpkgError {
  return new ZpkgError('E_RELATION_INVALID', `relation \`${text}\` is invalid: ${reason}`);
}

// name, optional `:arch` qualifier (Debian multi-arch: `:any`/`:native` dropped, a foreign arch kept in the name), optional `(op version)`, optional `[archs]`/`<profiles>` (dropped).
const ATOM =
  /^\s*(so:[A-Za-z0-9_.+-]+(?:\([A-Za-z0-9_.+@-]+\))?|file:\/[^\s|,()]*|[A-Za-z0-9][A-Za-z0-9+._-]*)(?::([a-z0-9-]+))?\s*(?:\(\s*(<<|<=|>=|>>|=|<|>)\s*([^\s)]+)\s*\))?\s*(?:\[[^\]]*\]\s*)?(?:<[^>]*>\s*)*$/;

export function parseAtom(text: string, context: string = text): Atom {
  const m = ATOM.exec(text);
  if (!m) throw relationError(context, `cannot read \`${text.trim()}\` as \`name\` or \`name (op version)\``);
  // A foreign-arch qualifier stays part of the name: such an atom matches no package here.
  const name = m[2] !== undefined && m[2] !== 'any' && m[2] !== 'native' ? `${m[1]!}:${m[2]}` : m[1]!;
  if (!isRelationName(name)) throw relationError(context, `\`${name}\` is not a valid package or capability name`);
  if (m[3] === undefined) return { name };
  // `<` and `>` are obsolete Debian spellings of `<=` and `>=`.
  const op = (m[3] === '<' ? '<=' : m[3] === '>' ? '>=' : m[3]) as Operator;
  const version = m[4]!;
  try {
    parseVersion(version);
  } catch (err) {
    throw relationError(context, (err as Error).message);
  }
  return { name, constraint: { op, version } };
}

/** One clause: `a (>= 1) | b`. */
export function parseClause(text: string): Clause {
  if (text.trim() === '') throw relationError(text, 'it is empty');
  return text.split('|').map((part) => parseAtom(part, text));
}

/** A comma-separated Debian field (`Depends: a, b | c (>= 2)`) into clauses. */
export function parseRelationField(text: string): Clause[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(parseClause);
}

export function formatAtom(atom: Atom): string {
  return atom.constraint ? `${atom.name} (${atom.constraint.op} ${atom.constraint.version})` : atom.name;
}

export function formatClause(clause: Clause): string {
  return clause.map(formatAtom).join(' | ');
}

/** Whether `version` satisfies the constraint (no constraint: always). */
export function satisfiesConstraint(version: string, constraint: Constraint | undefined): boolean {
  if (!constraint) return true;
  const c = compareVersions(version, constraint.version);
  switch (constraint.op) {
    case '<<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '=':
      return c === 0;
    case '>=':
      return c >= 0;
    case '>>':
      return c > 0;
  }
}

/** Something that can answer for a name: a package itself or one of its provides. */
export interface Providing {
  name: string;
  version: string;
  provides: readonly Atom[];
}

/**
 * Whether a package satisfies an atom, Debian-style: by its own name and version,
 * or by a `provides` entry. An unversioned provide satisfies only unversioned atoms;
 * a versioned provide (`foo (= 2)`) satisfies constraints on that version.
 */
export function providesAtom(pkg: Providing, atom: Atom): boolean {
  if (pkg.name === atom.name && satisfiesConstraint(pkg.version, atom.constraint)) return true;
  for (const p of pkg.provides) {
    if (p.name !== atom.name) continue;
    if (!atom.constraint) return true;
    if (p.constraint && p.constraint.op === '=' && satisfiesConstraint(p.constraint.version, atom.constraint)) return true;
  }
  return false;
}

export function validateProvide(atom: Atom, context: string): void {
  if (atom.constraint && atom.constraint.op !== '=') {
    throw relationError(context, 'a provide may only carry an exact version `(= VERSION)`');
  }
}
