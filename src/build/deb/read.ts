/**
 * Reading a .deb: an ar archive holding `debian-binary`, `control.tar.*` and
 * `data.tar.*` (gz, xz, zst or none). dpkg-deb, present on every Debian
 * system, checks the ar structure and decompresses; the tar streams are read
 * here (tar.ts) so that owners come as the names the package records.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { ZpkgError } from '../../core/errors.js';
import { readTar, type TarEntry } from './tar.js';

export interface DebContents {
  /** `control`'s text. */
  control: string;
  /** Absolute paths from `conffiles` (flags such as `remove-on-upgrade` dropped). */
  conffiles: string[];
  /** Maintainer scripts present (`preinst`, `postinst`, `prerm`, `postrm`, `config`, `triggers`). */
  scripts: string[];
  /** The postinst's text (up to 1 MiB), read for the alternatives it installs (alternatives.ts); never run. */
  postinst?: string;
  /** The filesystem tree, in archive order. */
  data: TarEntry[];
}

const SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'config', 'triggers'];
const MAX = 4 * 1024 * 1024 * 1024;

function dpkgDeb(debPath: string, what: '--ctrl-tarfile' | '--fsys-tarfile'): Buffer {
  const r = spawnSync('dpkg-deb', [what, debPath], { maxBuffer: MAX });
  if (r.error) throw new ZpkgError('E_IO', `cannot run dpkg-deb to read ${debPath}: ${r.error.message}`, { hint: 'dpkg-deb comes with the `dpkg` package' });
  if (r.status !== 0) {
    const why = r.stderr.toString('utf8').trim().split('\n').map((l) => l.replace(/^dpkg-deb(: error)?: /, '')).filter(Boolean)[0] ?? `dpkg-deb exited ${r.status}`;
    throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath} is not a readable Debian package: ${why}`, {
      hint: 'the file is damaged or not a .deb; download it again',
    });
  }
  return r.stdout;
}

export function readDeb(debPath: string): DebContents {
  let st;
  try {
    st = statSync(debPath);
  } catch (err) {
    throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: cannot read the package file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!st.isFile()) throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath} is not a regular file`);
  const ctrl = readTar(dpkgDeb(debPath, '--ctrl-tarfile'), `${debPath} (control archive)`);
  const member = (name: string): TarEntry | undefined => ctrl.find((e) => e.type === 'file' && e.path.replace(/^\.\//, '') === name);
  const control = member('control');
  if (control === undefined) throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: the control archive has no \`control\` file`);
  const conffiles = (member('conffiles')?.data.toString('utf8') ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/).find((w) => w.startsWith('/')) ?? l);
  return {
    control: control.data.toString('utf8'),
    conffiles,
    scripts: SCRIPTS.filter((s) => member(s) !== undefined),
    ...(member('postinst') ? { postinst: member('postinst')!.data.subarray(0, 1 << 20).toString('utf8') } : {}),
    data: readTar(dpkgDeb(debPath, '--fsys-tarfile'), `${debPath} (data archive)`),
  };
}
