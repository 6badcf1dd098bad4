/**
 * Reading libsolv's `installcheck` in zpkg's terms (`NAME VERSION`), shared by
 * the solver benchmark and test/repo-import-check.test.ts: both compare the
 * uninstallable set of `zpkg repo check` with installcheck's on the same index.
 */

/** `NAME-VERSION.ARCH` (libsolv's spelling of a solvable) → `NAME VERSION`, for every stanza of a plain Packages text. */
export function solvableNames(packagesText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const stanza of packagesText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const version = /^Version:\s*(\S+)/m.exec(stanza)?.[1];
    const arch = /^Architecture:\s*(\S+)/m.exec(stanza)?.[1];
    if (name && version && arch) out.set(`${name}-${version}.${arch}`, `${name} ${version}`);
  }
  return out;
}

/**
 * The packages `installcheck` reports (`can't install NAME-VERSION.ARCH:`), as
 * `NAME VERSION`, sorted and once each; versions contain `-`, so the line is
 * matched against the known solvables rather than split. `unknown` holds the
 * solvables `names` does not know (there should be none).
 */
export function parseInstallcheck(output: string, names: Map<string, string>): { packages: string[]; unknown: string[] } {
  const packages: string[] = [];
  const unknown: string[] = [];
  for (const m of output.matchAll(/^can't install (.+):$/gm)) {
    const hit = names.get(m[1]!);
    if (hit) packages.push(hit);
    else unknown.push(m[1]!);
  }
  return { packages: [...new Set(packages)].sort(), unknown };
}

/** The line of an explanation that names the conflict, if any (the usual culprit of a disagreement), else its last line. */
export function keyReason(reason: readonly string[]): string {
  return reason.find((l) => l.includes(' conflicts with ')) ?? reason.at(-1) ?? '(no reason given)';
}
