/**
 * Relations in Debian syntax: `name`, `name (>= 1.2)`, alternatives `a | b`.
 * Names are package names (`[a-z0-9][a-z0-9+.-]*`: Debian policy 5.6.1, one character allowed) or
 * capabilities the builder generates: `so:libc.so.6`, `so:libc.so.6(GLIBC_2.34)`
 * and `file:/usr/bin/python3`. A clause is a list of alternatives; `depends`
 * holds clauses, while `conflicts`, `provides` and `replaces` hold single atoms.
 */
import { ZpkgError } from './errors.js';
import { OP_EQ, OP_GE, OP_GT, OP_LE, OP_LT, OP_NONE, OPERATORS, type Operator, operatorCode } from './operator.js';
import { type AtomSpans, atomSpans, scanAtom } from './relation-scan.js';
import { compareVersions, parseVersion } from './version.js';

export type { Operator };

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

/**
 * The longest alternative read: a name, a `file:` path (PATH_MAX is 4096) and
 * a version fit many times over; anything longer is refused before it is
 * scanned, so a hostile relation costs no more than this to reject.
 */
export const MAX_ATOM_LENGTH = 16 * 1024;

const spans: AtomSpans = atomSpans();
/** The text being parsed as UTF-16 code units (grown as needed). */
let units = new Uint16Array(256);

/**
 * One alternative: `name`, `name (op version)`, with an optional `:arch`
 * qualifier (Debian multi-arch: `:any`/`:native` dropped, a foreign arch kept
 * in the name) and optional `[archs]`/`<profiles>` (dropped). The syntax is
 * relation-scan.ts's, the one reader of it.
 */
export function parseAtom(text: string, context: string = text): Atom {
  const n = text.length;
  if (n > MAX_ATOM_LENGTH) throw relationError(context.length > 80 ? `${context.slice(0, 80)}…` : context, `an alternative of ${n} characters is longer than ${MAX_ATOM_LENGTH}`);
  if (units.length < n) units = new Uint16Array(Math.max(n, 2 * units.length));
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  if (!scanAtom(units, 0, n, spans)) throw relationError(context, `cannot read \`${text.trim()}\` as \`name\` or \`name (op version)\``);
  const name = text.slice(spans.start, spans.nameEnd);
  if (!isRelationName(name)) throw relationError(context, `\`${name}\` is not a valid package or capability name`);
  if (spans.op === OP_NONE) return { name };
  const op = OPERATORS[spans.op]!;
  const version = text.slice(spans.versionStart, spans.versionEnd);
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

/**
 * Whether `version` satisfies `op against` (operator codes of operator.ts;
 * OP_NONE: always). The one comparison of relations: satisfiesConstraint
 * reads an Atom's constraint with it, the solver's pool calls it on the codes
 * a catalog table stores.
 */
export function satisfiesOp(version: string, op: number, against: string): boolean {
  if (op === OP_NONE) return true;
  const c = compareVersions(version, against);
  switch (op) {
    case OP_LT:
      return c < 0;
    case OP_LE:
      return c <= 0;
    case OP_EQ:
      return c === 0;
    case OP_GE:
      return c >= 0;
    case OP_GT:
      return c > 0;
    default:
      throw new Error(`relation: no operator has code ${op}`);
  }
}

/** Whether `version` satisfies the constraint (no constraint: always). */
export function satisfiesConstraint(version: string, constraint: Constraint | undefined): boolean {
  return constraint === undefined || satisfiesOp(version, operatorCode(constraint.op), constraint.version);
}

/**
 * Whether a provide of the atom's name answers `op against` (Debian policy
 * 7.5): any provide answers an unversioned atom; a versioned atom is answered
 * only by an exact provide (`provideOp` OP_EQ, `foo (= 2)`) whose version
 * satisfies it. `provideVersion` is read only for an exact provide.
 */
export function provideSatisfies(provideOp: number, provideVersion: string, op: number, against: string): boolean {
  if (op === OP_NONE) return true;
  return provideOp === OP_EQ && satisfiesOp(provideVersion, op, against);
}

/** Something that can answer for a name: a package itself or one of its provides. */
export interface Providing {
  name: string;
  version: string;
  provides: readonly Atom[];
}

/**
 * Whether a package satisfies an atom, Debian-style: by its own name and version,
 * or by a `provides` entry (provideSatisfies). The one answer to "does this
 * package satisfy that"; the solver's pool asks the same two functions on ids.
 */
export function providesAtom(pkg: Providing, atom: Atom): boolean {
  const c = atom.constraint;
  const op = c === undefined ? OP_NONE : operatorCode(c.op);
  const against = c === undefined ? '' : c.version;
  if (pkg.name === atom.name && (op === OP_NONE || satisfiesOp(pkg.version, op, against))) return true;
  for (const p of pkg.provides) {
    if (p.name !== atom.name) continue;
    const pc = p.constraint;
    if (provideSatisfies(pc === undefined ? OP_NONE : operatorCode(pc.op), pc === undefined ? '' : pc.version, op, against)) return true;
  }
  return false;
}

export function validateProvide(atom: Atom, context: string): void {
  if (atom.constraint && atom.constraint.op !== '=') {
    throw relationError(context, 'a provide may only carry an exact version `(= VERSION)`');
  }
}
