/**
 * A library's relations as a person reads them. An ELF library provides its
 * soname and one `so:NAME(VERSION)` per symbol version it defines (glibc's
 * libc.so.6: 38), and a binary depends on each it uses, so listing atoms one
 * by one buries everything else. Each soname's versioned atoms fold into one
 * item that counts them. For terminals only: programs get every atom.
 */
export interface FoldedAtom {
  /** The atom, or for a library the soname atom `so:NAME`. */
  atom: string;
  /** Whether `so:NAME` itself was among the atoms. */
  bare: boolean;
  /** How many `so:NAME(VERSION)` atoms folded into this one. */
  symbolVersions: number;
}

export function foldSymbolVersions(atoms: readonly string[]): FoldedAtom[] {
  const byAtom = new Map<string, FoldedAtom>();
  for (const a of atoms) {
    const base = sonameOf(a);
    let f = byAtom.get(base);
    if (!f) byAtom.set(base, (f = { atom: base, bare: false, symbolVersions: 0 }));
    if (base === a) f.bare = true;
    else f.symbolVersions += 1;
  }
  return [...byAtom.values()];
}

/** `so:libc.so.6 (38 symbol versions)`: a list item. */
export function foldedItem(f: FoldedAtom): string {
  return f.symbolVersions === 0 ? f.atom : `${f.atom} (${versions(f.symbolVersions)})`;
}

/** `` `so:libc.so.6` with 7 of its symbol versions ``: a phrase in a sentence, atoms quoted. */
export function foldedPhrase(f: FoldedAtom): string {
  if (f.symbolVersions === 0) return `\`${f.atom}\``;
  return f.bare ? `\`${f.atom}\` with ${f.symbolVersions} of its symbol versions` : `${versions(f.symbolVersions)} of \`${f.atom}\``;
}

function versions(n: number): string {
  return `${n} symbol ${n === 1 ? 'version' : 'versions'}`;
}

/** `so:libc.so.6(GLIBC_2.34)` → `so:libc.so.6`; anything else (a constrained atom `so:x (= 1)` too) as it is. */
export function sonameOf(atom: string): string {
  if (!atom.startsWith('so:') || !atom.endsWith(')') || atom.includes(' ')) return atom;
  const open = atom.indexOf('(');
  return open < 0 ? atom : atom.slice(0, open);
}
