/**
 * The shared libraries the bundle carries, taken from this machine's Debian
 * packages: for each ELF file (node, the add-ons), `ldd` names what the
 * loader would map; each file is traced to the Debian package that installed
 * it (`dpkg -S`) and checked against that package's own md5sums
 * (`/var/lib/dpkg/info/PKG.md5sums`), so what lands in the bundle is the
 * package's file as Debian shipped it — never a file changed by hand.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync } from 'node:fs';

/** The loader every glibc x86-64 program names in PT_INTERP. */
export const LOADER = 'ld-linux-x86-64.so.2';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd} cannot run: ${r.error.message}`);
  return r;
}

/** soname → absolute path, as the host's loader resolves an ELF file's needs (the loader itself included). */
export function neededLibraries(elf) {
  const r = run('ldd', [elf]);
  if (r.status !== 0) throw new Error(`ldd ${elf} failed: ${r.stderr.trim() || r.stdout.trim()}`);
  const found = new Map();
  for (const line of r.stdout.split('\n')) {
    const arrow = line.match(/^\s*(\S+)\s+=>\s+(\S+)\s+\(/);
    if (arrow) {
      if (arrow[2] === 'not') throw new Error(`${elf} needs ${arrow[1]}, which this machine lacks`);
      found.set(arrow[1], arrow[2]);
      continue;
    }
    const loader = line.match(/^\s*(\/\S+)\s+\(/);
    if (loader && loader[1].endsWith(`/${LOADER}`)) found.set(LOADER, loader[1]);
  }
  return found;
}

/** Paths dpkg may have recorded for a file: as given, its real path, and with or without /usr (merged /usr). */
function candidates(path) {
  const all = new Set([path, realpathSync(path)]);
  for (const p of [...all]) all.add(p.startsWith('/usr/') ? p.slice(4) : `/usr${p}`);
  return [...all];
}

/** The Debian package (with its version) a file comes from, checked against dpkg's md5sums. */
export function debianOrigin(path) {
  const real = realpathSync(path);
  for (const p of candidates(path)) {
    const r = run('dpkg-query', ['-S', p]);
    if (r.status !== 0) continue;
    const pkg = r.stdout.split('\n')[0].split(':').slice(0, -1).join(':').split(',')[0].trim();
    const version = run('dpkg-query', ['-W', '-f', '${Version}', pkg]).stdout.trim();
    const md5 = createHash('md5').update(readFileSync(real)).digest('hex');
    const base = pkg.includes(':') ? pkg : pkg;
    const sums = [`/var/lib/dpkg/info/${base}.md5sums`, `/var/lib/dpkg/info/${base}:amd64.md5sums`].find((f) => existsSync(f));
    if (!sums) throw new Error(`no md5sums for ${pkg}: cannot check ${real}`);
    const recorded = new Map(
      readFileSync(sums, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [`/${l.slice(34)}`, l.slice(0, 32)]),
    );
    const expected = candidates(real).map((c) => recorded.get(c)).find((x) => x !== undefined);
    if (expected === undefined) throw new Error(`${real} is not in ${sums}`);
    if (expected !== md5) throw new Error(`${real} differs from what Debian's ${pkg} ${version} installed (md5 ${md5}, recorded ${expected})`);
    return { package: pkg.replace(/:amd64$/, ''), version, path: real };
  }
  throw new Error(`no Debian package of this machine owns ${path}`);
}
