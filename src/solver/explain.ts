/**
 * Failure explanations: the minimal core of a refutation, told in plain words
 * in the order a reader follows it — from the request outwards, each fact
 * next to the facts it shares a package with.
 */
import { type Atom, formatAtom, formatClause, providesAtom } from '../core/relation.js';
import { type CoreClause, coreClauses, minimizeCore, refutation } from './core.js';
import { CONFLICT, DEP, HELD, KEEP, REMOVE, ROOT_INSTALL, SAME_NAME } from './rules.js';
import type { Sat } from './sat.js';
import type { Universe } from './universe.js';

export interface ExplainContext {
  u: Universe;
  /** Solvables installed before the request. */
  installed: ReadonlySet<number>;
  installAtoms: readonly Atom[];
  removeNames: readonly string[];
  cascade: boolean;
  update: boolean;
}

export interface Explanation {
  message: string;
  explanation: string[];
}

/** One refutation: its explanation and what of the request it blames. */
export interface Problem extends Explanation {
  /** Indexes into `installAtoms` of the install jobs in the core. */
  installs: number[];
  /** Indexes into `removeNames` of the remove jobs in the core. */
  removes: number[];
  /** The core's headline when it blames no job (a held or kept package, an update). */
  head: string;
}

/** At most this many providers are named in one sentence. */
const NAME_AT_MOST = 3;

function pkg(ctx: ExplainContext, s: number): string {
  const e = ctx.u.entry(s);
  return `${ctx.installed.has(s) ? 'installed ' : ''}\`${e.name} ${e.version}\``;
}

function alternatives(ctx: ExplainContext, ids: ArrayLike<number>): string {
  const names = Array.from(ids, (s) => pkg(ctx, s));
  if (names.length === 1) return names[0]!;
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]!}`;
}

function sentence(ctx: ExplainContext, c: CoreClause): string | undefined {
  const { u } = ctx;
  switch (c.kind) {
    case ROOT_INSTALL: {
      if (c.lits.length > 0) return undefined; // the headline says it
      const atom = ctx.installAtoms[c.a]!;
      return u.named(atom.name).length > 0 || !atom.constraint
        ? `no available package satisfies \`${formatAtom(atom)}\`${availableVersions(ctx, atom)}`
        : `no available package satisfies \`${formatAtom(atom)}\``;
    }
    case DEP: {
      const what = `${pkg(ctx, c.a)} depends on \`${formatClause(u.entry(c.a).depends[c.b]!)}\``;
      const prov = c.pref ?? new Int32Array(0);
      if (prov.length === 0) return `${what}, which no available package satisfies`;
      if (prov.length === 1) return `${what}, which only ${pkg(ctx, prov[0]!)} satisfies`;
      if (prov.length <= NAME_AT_MOST) return `${what}, satisfied by ${alternatives(ctx, prov)}`;
      return what;
    }
    case CONFLICT: {
      let [d, o] = [c.a, c.b];
      let atom = u.entry(d).conflicts.find((a) => providesAtom(u.entry(o), a));
      if (atom === undefined) {
        [d, o] = [o, d];
        atom = u.entry(d).conflicts.find((a) => providesAtom(u.entry(o), a));
      }
      const through = atom !== undefined && (atom.name !== u.entry(o).name || atom.constraint) ? ` (it conflicts with \`${formatAtom(atom)}\`)` : '';
      return `${pkg(ctx, d)} conflicts with ${pkg(ctx, o)}${through}`;
    }
    case SAME_NAME: {
      const [x, y] = ctx.installed.has(c.a) ? [c.b, c.a] : [c.a, c.b];
      return `${pkg(ctx, x)} and ${pkg(ctx, y)} cannot both be installed (one version per name)`;
    }
    case KEEP: {
      const hint = ctx.removeNames.length > 0 && !ctx.cascade ? ' (`--cascade` would remove it too)' : '';
      return `installed \`${u.entry(c.a).name}\` must stay installed${hint}`;
    }
    case HELD:
      return `${pkg(ctx, c.a)} is held`;
    case REMOVE:
      return undefined; // the headline says it
    default:
      return undefined;
  }
}

function availableVersions(ctx: ExplainContext, atom: Atom): string {
  const versions = Array.from(ctx.u.named(atom.name), (s) => ctx.u.entry(s).version);
  if (versions.length === 0) return ctx.u.resolve({ name: atom.name }).length === 0 ? ' (no package is named or provides it)' : '';
  return ` (available: ${versions.slice(0, 5).join(', ')}${versions.length > 5 ? ', …' : ''})`;
}

/** Breadth-first from the request: each fact follows one it shares a package with. */
function readingOrder(core: readonly CoreClause[]): CoreClause[] {
  const rank = (c: CoreClause): number => (c.kind === ROOT_INSTALL ? 0 : c.kind === REMOVE ? 1 : c.kind === KEEP || c.kind === HELD ? 3 : 2);
  const pending = [...core].sort((x, y) => rank(x) - rank(y) || x.id - y.id);
  const out: CoreClause[] = [];
  const vars = (c: CoreClause): number[] => c.lits.map((l) => l >> 1);
  while (pending.length > 0) {
    const queue = [pending.shift()!];
    while (queue.length > 0) {
      const c = queue.shift()!;
      out.push(c);
      const mine = new Set(vars(c));
      for (let i = 0; i < pending.length; ) {
        if (vars(pending[i]!).some((v) => mine.has(v))) queue.push(...pending.splice(i, 1));
        else i++;
      }
    }
  }
  return out;
}

function headline(installs: readonly Atom[], removes: readonly string[], fallback: string): string {
  const parts: string[] = [];
  if (installs.length > 0) parts.push(`install ${installs.map((a) => `\`${formatAtom(a)}\``).join(', ')}`);
  if (removes.length > 0) parts.push(`remove ${removes.map((n) => `\`${n}\``).join(', ')}`);
  return parts.length > 0 ? `zpkg cannot ${parts.join(' and ')}` : fallback;
}

function withLines(head: string, explanation: readonly string[]): string {
  return explanation.length > 0 ? `${head}: ${explanation.join('; ')}` : head;
}

/** Explains why `sat.search()` returned false. The engine must have been run with proofs on. */
export function explainFailure(sat: Sat, ctx: ExplainContext): Problem {
  const core = readingOrder(minimizeCore(coreClauses(sat, refutation(sat))));
  const explanation: string[] = [];
  for (const c of core) {
    const s = sentence(ctx, c);
    if (s !== undefined && !explanation.includes(s)) explanation.push(s);
  }
  const installs = [...new Set(core.filter((c) => c.kind === ROOT_INSTALL).map((c) => c.a))].sort((a, b) => a - b);
  const removes = [...new Set(core.filter((c) => c.kind === REMOVE).map((c) => c.b))].sort((a, b) => a - b);
  const fallback = ctx.update ? 'zpkg cannot update' : 'zpkg cannot keep the installed packages consistent';
  const head = headline(
    installs.map((i) => ctx.installAtoms[i]!),
    removes.map((i) => ctx.removeNames[i]!),
    fallback,
  );
  return { message: withLines(head, explanation), explanation, installs, removes, head };
}

/**
 * Several independent problems of one request as one explanation, as apt
 * lists every package it cannot install: one headline naming every blamed
 * job, then each problem's lines in turn (each line names its packages).
 */
export function joinProblems(problems: readonly { head: string; explanation: readonly string[]; installs: readonly Atom[]; removes: readonly string[] }[]): Explanation {
  if (problems.length === 1) return { message: withLines(problems[0]!.head, problems[0]!.explanation), explanation: [...problems[0]!.explanation] };
  const installs = problems.flatMap((p) => p.installs);
  const removes = [...new Set(problems.flatMap((p) => p.removes))];
  const explanation = [...new Set(problems.flatMap((p) => p.explanation))];
  const head = headline(installs, removes, problems[0]!.head);
  return { message: withLines(head, explanation), explanation };
}
