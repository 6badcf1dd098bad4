/**
 * The checks of `zpkg lint`, pure functions over manifests (and, for ELF
 * files, the relations derived from their contents). Each returns findings;
 * none stops at the first.
 */
import { isPathAction, type DirAction } from '../../core/manifest.js';
import { parseAtom, parseClause, providesAtom } from '../../core/relation.js';
import { deriveRelations } from '../deps/index.js';
import { SEVERITY, type Finding, type FindingCode, type LintPackage, type Satisfier } from './types.js';

function finding(code: FindingCode, pkg: LintPackage, message: string, hint: string, path?: string): Finding {
  return { code, severity: SEVERITY[code], package: `${pkg.manifest.name} ${pkg.manifest.version}`, ...(path === undefined ? {} : { path }), message, hint };
}

/** The Filesystem Hierarchy Standard's top level, and the directories of /usr. */
const TOP = new Set(['bin', 'boot', 'dev', 'etc', 'home', 'lib', 'lib32', 'lib64', 'libx32', 'media', 'mnt', 'opt', 'root', 'run', 'sbin', 'srv', 'tmp', 'usr', 'var']);
const USR = new Set(['bin', 'games', 'include', 'lib', 'lib32', 'lib64', 'libexec', 'libx32', 'local', 'sbin', 'share', 'src']);

function unusual(path: string): boolean {
  const parts = path.split('/');
  return !TOP.has(parts[0]!) || (parts[0] === 'usr' && parts.length > 1 && !USR.has(parts[1]!));
}

export function checkPackage(pkg: LintPackage): Finding[] {
  const out: Finding[] = [];
  const m = pkg.manifest;
  if (m.license.trim() === '') out.push(finding('L_NO_LICENSE', pkg, `${m.name} names no license`, 'set `license:` in the recipe (an SPDX expression such as `MIT`)'));
  for (const a of m.actions) {
    if (!isPathAction(a)) continue;
    // Only the top of an unusual tree is reported, not everything under it.
    const slash = a.path.lastIndexOf('/');
    if (unusual(a.path) && (slash < 0 || !unusual(a.path.slice(0, slash)))) {
      out.push(finding('L_PATH_UNUSUAL', pkg, `\`/${a.path}\` lies outside the usual hierarchy`, 'use the FHS directories (/usr/bin, /usr/lib, /usr/share, /etc, /var, /opt …)', a.path));
    }
    if (a.type !== 'file' && a.type !== 'dir') continue;
    const mode = parseInt(a.mode, 8);
    if ((mode & 0o002) !== 0 && !(a.type === 'dir' && (mode & 0o1000) !== 0)) {
      out.push(finding('L_WORLD_WRITABLE', pkg, `${a.type} \`/${a.path}\` is writable by everyone (mode ${a.mode})`, a.type === 'dir' ? 'drop o+w, or set the sticky bit (1777) as /tmp has' : 'drop o+w (e.g. mode "0644")', a.path));
    }
    if (a.type === 'file' && (mode & 0o6000) !== 0) {
      out.push(finding('L_SETUID', pkg, `file \`/${a.path}\` is ${(mode & 0o4000) !== 0 ? 'setuid' : 'setgid'} (mode ${a.mode})`, 'make sure it must run with raised privileges; prefer capabilities or a service', a.path));
    }
  }
  return out;
}

/** Paths delivered by two packages of the set, and directories they declare differently. */
export function checkOverlaps(pkgs: readonly LintPackage[]): Finding[] {
  const out: Finding[] = [];
  const owners = new Map<string, LintPackage>();
  const dirs = new Map<string, { pkg: LintPackage; dir: DirAction }>();
  for (const pkg of pkgs) {
    const replaces = pkg.manifest.replaces.map((r) => parseAtom(r).name);
    for (const a of pkg.manifest.actions) {
      if (!isPathAction(a)) continue;
      if (a.type === 'dir') {
        const first = dirs.get(a.path);
        if (first === undefined) dirs.set(a.path, { pkg, dir: a });
        else if (first.dir.mode !== a.mode || first.dir.owner !== a.owner || first.dir.group !== a.group) {
          out.push(finding('L_DIR_MISMATCH', pkg, `directory \`/${a.path}\` is ${a.mode} ${a.owner}:${a.group} here but ${first.dir.mode} ${first.dir.owner}:${first.dir.group} in ${first.pkg.manifest.name}`, 'declare shared directories alike in every package', a.path));
        }
        continue;
      }
      const other = owners.get(a.path);
      if (other === undefined) owners.set(a.path, pkg);
      else if (!replaces.includes(other.manifest.name) && !other.manifest.replaces.some((r) => parseAtom(r).name === pkg.manifest.name)) {
        out.push(finding('L_OVERLAP', pkg, `\`/${a.path}\` is also delivered by ${other.manifest.name} ${other.manifest.version}`, `drop the path from one package, or let one \`replaces\` the other`, a.path));
      }
    }
  }
  return out;
}

/** Depends clauses, and ELF files' so:/file: needs, that nothing in the set or the repositories satisfies. */
export function checkRelations(pkgs: readonly LintPackage[], others: readonly Satisfier[]): Finding[] {
  const out: Finding[] = [];
  const all: Satisfier[] = [...pkgs.map((p) => ({ name: p.manifest.name, version: p.manifest.version, provides: p.manifest.provides.map((x) => parseAtom(x)) })), ...others];
  const byName = new Map<string, Satisfier[]>();
  for (const s of all) for (const n of [s.name, ...s.provides.map((p) => p.name)]) byName.set(n, [...(byName.get(n) ?? []), s]);
  const met = (text: string): boolean => parseClause(text).some((atom) => (byName.get(atom.name) ?? []).some((s) => providesAtom(s, atom)));
  for (const pkg of pkgs) {
    const derived = deriveRelations(pkg.manifest.actions.filter(isPathAction), pkg.contentOf);
    for (const w of derived.warnings) {
      if (/corrupt or truncated ELF/.test(w)) out.push(finding('L_ELF_UNREADABLE', pkg, w, 'check the file: it starts like an ELF object but cannot be read as one', w.slice(0, w.indexOf(':'))));
    }
    // One finding per file and library: `so:libc.so.6` and its versions together.
    const reportedByFile = new Set<string>();
    const unmet = new Map<string, { path: string; relations: string[] }>();
    for (const need of derived.needs) {
      if (!derived.depends.includes(need.relation) || met(need.relation)) continue;
      reportedByFile.add(need.relation);
      const key = `${need.path}\0${need.relation.replace(/\(.*\)$/, '')}`;
      const group = unmet.get(key) ?? { path: need.path, relations: [] };
      if (!group.relations.includes(need.relation)) group.relations.push(need.relation);
      unmet.set(key, group);
    }
    for (const { path, relations } of unmet.values()) {
      const what = relations.map((r) => `\`${r}\``).join(', ');
      const hint = relations[0]!.startsWith('file:') ? `add the package that ships ${relations[0]!.slice(5)}` : 'add the package that ships this library, of a version defining these symbol versions, to the set or a --repo';
      out.push(finding('L_SO_UNMET', pkg, `\`/${path}\` needs ${what}, which nothing in the set or the repositories provides`, hint, path));
    }
    for (const d of pkg.manifest.depends) {
      if (reportedByFile.has(d) || met(d)) continue;
      out.push(finding('L_DEP_UNMET', pkg, `depends on \`${d}\`, which nothing in the set or the repositories satisfies`, 'add a package that satisfies it to the set or a --repo, or fix the relation'));
    }
  }
  return out;
}
