/**
 * Reading a .deb: an ar archive holding `debian-binary`, `control.tar.*` and
 * `data.tar.*` (gz, xz, zst or none). dpkg-deb, present on every Debian
 * system, checks the ar structure and decompresses; the tar streams are read
 * here (tar.ts) so that owners come as the names the package records.
 *
 * Nothing is held whole that can be streamed: the control archive (small by
 * nature) is read into memory up to MAX_CONTROL bytes; the data archive is
 * streamed by dpkg-deb into a file of the caller's work directory, never past
 * the size its control file declares (Installed-Size, with room for the tar
 * headers; MAX_DATA when it declares none) — dpkg-deb runs under that file
 * size limit (RLIMIT_FSIZE, util-linux's prlimit), so a decompression bomb
 * stops at the bound + 1 byte and is refused. Only headers are then read from
 * it; contents are copied from it file by file (package.ts).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ZpkgError } from '../../core/errors.js';
import { readTar, scanTar, type TarItem } from './tar.js';

export interface DebContents {
  /** `control`'s text. */
  control: string;
  /** Absolute paths from `conffiles` (flags such as `remove-on-upgrade` dropped). */
  conffiles: string[];
  /** Maintainer scripts present (`preinst`, `postinst`, `prerm`, `postrm`, `config`, `triggers`). */
  scripts: string[];
  /** The postinst's text (up to 1 MiB), read for the alternatives it installs (alternatives.ts); never run. */
  postinst?: string;
  /** The filesystem tree, in archive order; file contents lie in `dataTar` at each item's offset. */
  data: TarItem[];
  /** The uncompressed data archive, in the caller's work directory. */
  dataTar: string;
}

const SCRIPTS = ['preinst', 'postinst', 'prerm', 'postrm', 'config', 'triggers'];
/** The control archive: scripts and a few text files. */
export const MAX_CONTROL = 16 * 1024 * 1024;
/** The data archive of a package whose control file declares no Installed-Size. */
export const MAX_DATA = 4 * 1024 * 1024 * 1024;
/** Room for tar headers, padding and long names beyond the declared Installed-Size. */
const TAR_SLACK = 64 * 1024 * 1024;

/** The bound on the data archive of a package declaring `installedKiB` (Installed-Size counts whole KiB per file, tar pads to 512 bytes). */
export function dataLimit(installedKiB: number | undefined): number {
  if (installedKiB === undefined) return MAX_DATA;
  return Math.min(MAX_DATA, installedKiB * 1024 * 2 + TAR_SLACK);
}

function dpkgFailure(debPath: string, status: number | null, stderr: Buffer): ZpkgError {
  const why = stderr.toString('utf8').trim().split('\n').map((l) => l.replace(/^dpkg-deb(: error)?: /, '')).filter(Boolean)[0] ?? `dpkg-deb exited ${status}`;
  return new ZpkgError('E_ARCHIVE_INVALID', `${debPath} is not a readable Debian package: ${why}`, {
    hint: 'the file is damaged or not a .deb; download it again',
  });
}

const cannotRun = (debPath: string, err: Error): ZpkgError =>
  new ZpkgError('E_IO', `cannot run dpkg-deb to read ${debPath}: ${err.message}`, { hint: 'dpkg-deb comes with the `dpkg` package, prlimit with `util-linux`' });

function controlTar(debPath: string): Buffer {
  const r = spawnSync('dpkg-deb', ['--ctrl-tarfile', debPath], { maxBuffer: MAX_CONTROL });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ENOBUFS') {
    throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: its control archive is larger than ${MAX_CONTROL} bytes`, { hint: 'a control archive holds a few scripts and text files: the package is damaged or hostile' });
  }
  if (r.error) throw cannotRun(debPath, r.error);
  if (r.status !== 0) throw dpkgFailure(debPath, r.status, r.stderr);
  return r.stdout;
}

/** Streams the data archive into `into`, stopping dpkg-deb when it passes `limit` bytes. */
function dataTar(debPath: string, into: string, limit: number): void {
  const fd = openSync(into, 'wx', 0o600);
  let r;
  try {
    // RLIMIT_FSIZE of limit + 1: a stream of limit + 1 bytes or more is cut there, and refused below.
    r = spawnSync('prlimit', [`--fsize=${limit + 1}`, '--', 'dpkg-deb', '--fsys-tarfile', debPath], { stdio: ['ignore', fd, 'pipe'], maxBuffer: 1024 * 1024 });
  } finally {
    closeSync(fd);
  }
  if (r.error) throw cannotRun(debPath, r.error);
  if (statSync(into).size > limit) {
    throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: its data archive decompresses to more than ${limit} bytes, more than its Installed-Size allows`, {
      hint: 'the package is damaged or hostile (a decompression bomb, or an Installed-Size that lies)',
    });
  }
  if (r.status !== 0) throw dpkgFailure(debPath, r.status, r.stderr);
}

/** The Installed-Size field of a control file, in KiB, when it has a well-formed one. */
function installedSizeOf(control: string): number | undefined {
  const m = /^Installed-Size:[ \t]*([0-9]{1,15})[ \t]*$/im.exec(control);
  return m ? Number(m[1]) : undefined;
}

/** Reads a .deb; its data archive is left in `workDir` (which the caller removes). */
export function readDeb(debPath: string, workDir: string): DebContents {
  let st;
  try {
    st = statSync(debPath);
  } catch (err) {
    throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: cannot read the package file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  if (!st.isFile()) throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath} is not a regular file`);
  const ctrl = readTar(controlTar(debPath), `${debPath} (control archive)`);
  const member = (name: string) => ctrl.find((e) => e.type === 'file' && e.path.replace(/^\.\//, '') === name);
  const control = member('control');
  if (control === undefined) throw new ZpkgError('E_ARCHIVE_INVALID', `${debPath}: the control archive has no \`control\` file`);
  const controlText = control.data.toString('utf8');
  const conffiles = (member('conffiles')?.data.toString('utf8') ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(/\s+/).find((w) => w.startsWith('/')) ?? l);
  const tarPath = join(workDir, 'data.tar');
  dataTar(debPath, tarPath, dataLimit(installedSizeOf(controlText)));
  const fd = openSync(tarPath, 'r');
  let data: TarItem[];
  try {
    data = scanTar({ read: (into, length, position) => readSync(fd, into, 0, length, position) }, statSync(tarPath).size, `${debPath} (data archive)`);
  } finally {
    closeSync(fd);
  }
  return {
    control: controlText,
    conffiles,
    scripts: SCRIPTS.filter((s) => member(s) !== undefined),
    ...(member('postinst') ? { postinst: member('postinst')!.data.subarray(0, 1 << 20).toString('utf8') } : {}),
    data,
    dataTar: tarPath,
  };
}
