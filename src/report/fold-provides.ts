/**
 * A library's provides on a terminal: an ELF library provides its soname and
 * one `so:NAME(VERSION)` per symbol version it defines (glibc's libc.so.6:
 * 38), which buries everything else `info` says. Each library's versioned
 * atoms fold into one item that counts them; `--json` keeps every atom.
 */
export function foldSymbolVersions(provides: readonly string[]): string[] {
  const versions = new Map<string, number>();
  const order: string[] = [];
  for (const p of provides) {
    const base = sonameOf(p);
    if (!versions.has(base)) {
      versions.set(base, 0);
      order.push(base);
    }
    if (base !== p) versions.set(base, versions.get(base)! + 1);
  }
  return order.map((base) => {
    const n = versions.get(base)!;
    return n === 0 ? base : `${base} (${n} symbol ${n === 1 ? 'version' : 'versions'})`;
  });
}

/** `so:libc.so.6(GLIBC_2.34)` → `so:libc.so.6`; anything else (a constrained atom `so:x (= 1)` too) as it is. */
function sonameOf(atom: string): string {
  if (!atom.startsWith('so:') || !atom.endsWith(')') || atom.includes(' ')) return atom;
  const open = atom.indexOf('(');
  return open < 0 ? atom : atom.slice(0, open);
}
