/**
 * Solver scenarios as data, in the spirit of apk-tools' test/solver/*.test.
 * One file per scenario (`scenarios/*.scenario`), sections introduced by `@`:
 *
 *   # Title: what the scenario shows (comment lines start with `#`)
 *   @repo main priority 10          a remote and its packages, one per line:
 *   a 2.0 depends: b (>= 3) | c, d; conflicts: x (<< 2); provides: v (= 1)
 *   @installed                      the image before: flags `requested`, `held`
 *   c 1.0 requested held
 *   @request                        any of these lines
 *   install a (>= 2), v
 *   remove x
 *   update                          (everything) or `update a b`
 *   @policy cascade autoremove
 *   @expect                         the plan; `from REMOTE` checks where from
 *   install a 2.0 from main
 *   upgrade b 1.0 -> 3.0
 *   remove x 1.0
 *   @result                         optional: the whole final set
 *   a 2.0 requested
 *   @error                          the headline, then the explanation lines
 *   zpkg cannot install `a`
 *   `a 2.0` depends on …
 *   @check                          checkInstallable: uninstallable packages,
 *   a 2.0                           each optionally followed by indented reasons
 *   @why NAME                       why(NAME): its lines, or `not installed`
 */
import { parseAtom, parseRelationField } from '../../src/core/relation.js';
import type { Candidate, InstalledPackage } from '../../src/core/catalog.js';
import type { SolvePolicy, SolveRequest } from '../../src/solver/types.js';

export interface Scenario {
  title: string;
  pool: Candidate[];
  installed: InstalledPackage[];
  request: SolveRequest;
  policy: SolvePolicy;
  /** Expected plan lines (without `from`), sorted; with their expected remotes. */
  expect?: { lines: string[]; remotes: Map<string, string> };
  result?: string[];
  error?: { headline: string; explanation: string[] };
  check?: { name: string; version: string; reason: string[] }[];
  why?: { name: string; lines: string[] | undefined };
}

const FIELDS = new Set(['depends', 'conflicts', 'provides', 'replaces']);

function parsePackage(line: string, remote: string, priority: number): { pkg: Candidate; flags: string[] } {
  const firstField = line.search(/\b[a-z]+:\s/);
  const head = (firstField < 0 ? line : line.slice(0, firstField)).trim().split(/\s+/);
  const [name, version, ...flags] = head;
  if (!name || !version) throw new Error(`package line \`${line}\` needs a name and a version`);
  const pkg: Candidate = { name, version, arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], size: 0, installedSize: 0, remote, priority };
  if (firstField >= 0) {
    for (const part of line.slice(firstField).split(';')) {
      const m = /^\s*([a-z]+):\s*(.*)$/.exec(part);
      if (!m || !FIELDS.has(m[1]!)) throw new Error(`package line \`${line}\`: cannot read \`${part.trim()}\``);
      const clauses = parseRelationField(m[2]!);
      if (m[1] === 'depends') pkg.depends = clauses;
      else pkg[m[1] as 'conflicts' | 'provides' | 'replaces'] = clauses.map((c) => c[0]!);
    }
  }
  return { pkg, flags };
}

export function parseScenario(text: string): Scenario {
  const sc: Scenario = { title: '', pool: [], installed: [], request: {}, policy: {} };
  let section = '';
  let remote = '';
  let priority = 0;
  const titles: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s+$/, '');
    if (line.startsWith('#')) {
      if (section === '') titles.push(line.replace(/^#\s?/, ''));
      continue;
    }
    if (line.trim() === '') continue;
    if (line.startsWith('@')) {
      const [word, ...args] = line.slice(1).split(/\s+/);
      section = word!;
      if (section === 'repo') {
        remote = args[0] ?? 'main';
        priority = args[1] === 'priority' ? Number(args[2]) : 0;
      } else if (section === 'policy') {
        for (const a of args) sc.policy[a as 'cascade' | 'autoremove'] = true;
      } else if (section === 'expect') sc.expect = { lines: [], remotes: new Map() };
      else if (section === 'result') sc.result = [];
      else if (section === 'error') sc.error = { headline: '', explanation: [] };
      else if (section === 'check') sc.check = [];
      else if (section === 'why') sc.why = { name: args[0]!, lines: [] };
      else if (section !== 'installed' && section !== 'request') throw new Error(`unknown section @${section}`);
      continue;
    }
    switch (section) {
      case 'repo':
        sc.pool.push(parsePackage(line, remote, priority).pkg);
        break;
      case 'installed': {
        const { pkg, flags } = parsePackage(line, 'installed', 0);
        sc.installed.push({ ...pkg, requested: flags.includes('requested'), held: flags.includes('held') });
        break;
      }
      case 'request': {
        const [verb, ...rest] = line.trim().split(/\s+/);
        const arg = line.trim().slice(verb!.length).trim();
        if (verb === 'install') sc.request.install = [...(sc.request.install ?? []), ...arg.split(',').map((a) => parseAtom(a))];
        else if (verb === 'remove') sc.request.remove = [...(sc.request.remove ?? []), ...rest];
        else if (verb === 'update') sc.request.update = rest.length === 0 ? true : rest;
        else throw new Error(`unknown request \`${line}\``);
        break;
      }
      case 'expect': {
        const m = /^(.*?)(?:\s+from\s+(\S+))?$/.exec(line.trim())!;
        sc.expect!.lines.push(m[1]!);
        if (m[2]) sc.expect!.remotes.set(m[1]!, m[2]);
        break;
      }
      case 'result':
        sc.result!.push(line.trim());
        break;
      case 'error':
        if (sc.error!.headline === '') sc.error!.headline = line.trim();
        else sc.error!.explanation.push(line.trim());
        break;
      case 'check':
        if (/^\s/.test(line)) sc.check![sc.check!.length - 1]!.reason.push(line.trim());
        else {
          const [name, version] = line.trim().split(/\s+/);
          sc.check!.push({ name: name!, version: version!, reason: [] });
        }
        break;
      case 'why':
        if (line.trim() === 'not installed') sc.why!.lines = undefined;
        else sc.why!.lines!.push(line.trim());
        break;
      default:
        throw new Error(`line \`${line}\` is outside any section`);
    }
  }
  sc.title = titles.join(' ');
  sc.expect?.lines.sort();
  return sc;
}
