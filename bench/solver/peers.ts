/** Reading dose-distcheck, and the relations that usually explain a disagreement with libsolv. */

/** The broken packages of `dose-distcheck -f --summary` (YAML; report items sit at two spaces). */
export function parseDose(output: string): string[] {
  const out: string[] = [];
  for (const m of output.matchAll(/^ {2}package: (\S+)\n {2}version: (\S+)\n(?: {2}architecture: \S+\n)? {2}status: broken$/gm)) out.push(`${m[1]} ${m[2]}`);
  return out.sort();
}

/**
 * Relations qualified with another architecture (`libc6-x32:i386`, `gcc:arm64`),
 * as `PACKAGE (Field: atoms)`: libsolv lets them match nothing in an amd64 pool;
 * when zpkg read them otherwise (it dropped the qualifier before 79295e5), the
 * uninstallable sets differed. Printed when the sets differ.
 */
export function foreignQualifiers(packagesText: string, arch = 'amd64'): string[] {
  const out: string[] = [];
  for (const stanza of packagesText.split(/\n\s*\n/)) {
    const name = /^Package:\s*(\S+)/m.exec(stanza)?.[1];
    const found: string[] = [];
    for (const m of stanza.matchAll(/^(Pre-Depends|Depends|Conflicts|Breaks):(.*(?:\n[ \t].*)*)/gm)) {
      const atoms = [...m[2]!.replace(/\([^)]*\)/g, '').matchAll(/([A-Za-z0-9][A-Za-z0-9+._-]*):([a-z][a-z0-9-]*)/g)]
        .filter((q) => q[2] !== 'any' && q[2] !== 'native' && q[2] !== arch)
        .map((q) => q[0]);
      if (atoms.length) found.push(`${m[1]}: ${atoms.join(', ')}`);
    }
    if (found.length) out.push(`${name} (${found.join('; ')})`);
  }
  return out;
}

export function difference(a: readonly string[], b: readonly string[]): string[] {
  const bs = new Set(b);
  return a.filter((x) => !bs.has(x));
}
