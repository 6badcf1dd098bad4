/** What every command gets: the global options, the report, and the image they name. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ZpkgError } from '../core/errors.js';
import { hasState, imagePaths, openImage, type Image } from '../image/image.js';
import type { UncheckedImage } from '../image/read-image.js';
import { StreamReport, type ProgressMode, type Report } from '../report/report.js';

export interface GlobalOptions {
  root: string;
  json: boolean;
  quiet: boolean;
  stateDir?: string;
  cacheDir?: string;
  progress: ProgressMode;
}

const PROGRESS_MODES: readonly ProgressMode[] = ['auto', 'json', 'none'];

/** `--progress=MODE` (commander checked its choices). */
function progressMode(value: unknown): ProgressMode {
  return (PROGRESS_MODES as readonly unknown[]).includes(value) ? (value as ProgressMode) : 'auto';
}

/** The mode argv names, for an error reported before commander has parsed (a usage error included). */
function progressFromArgv(argv: readonly string[]): ProgressMode {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const v = a.startsWith('--progress=') ? a.slice('--progress='.length) : a === '--progress' ? argv[i + 1] : undefined;
    if (v !== undefined) return (PROGRESS_MODES as readonly string[]).includes(v) ? (v as ProgressMode) : 'auto';
  }
  return 'auto';
}

export class Context {
  private reportInstance: Report | undefined;
  private readonly images: Image[] = [];

  constructor(readonly argv: readonly string[]) {}

  globals(cmd: Command): GlobalOptions {
    const o = cmd.optsWithGlobals() as Partial<GlobalOptions>;
    // `--root "$IMG"` with an empty variable named the working directory: refused, as any empty path.
    for (const [flag, value] of [['--root', o.root], ['--state-dir', o.stateDir], ['--cache-dir', o.cacheDir]] as const) {
      if (value !== undefined && value.trim() === '') throw new ZpkgError('E_USAGE', `${flag} is empty`, { hint: `name a directory (\`${flag} .\` for the current one)` });
    }
    return { root: o.root ?? '/', json: Boolean(o.json), quiet: Boolean(o.quiet), stateDir: o.stateDir, cacheDir: o.cacheDir, progress: progressMode(o.progress) };
  }

  report(cmd?: Command): Report {
    if (!this.reportInstance) {
      const g = cmd ? this.globals(cmd) : { json: this.argv.includes('--json'), quiet: false, progress: progressFromArgv(this.argv) };
      this.reportInstance = new StreamReport({ json: g.json, quiet: g.quiet, progress: g.progress });
    }
    return this.reportInstance;
  }

  /**
   * Where the image's state.db is, as the global options and the image's
   * directories say (zpkg.yaml's `state:` is read only when the image is
   * opened), or undefined when it cannot be resolved in the image: the open
   * reports why.
   */
  stateDbOf(cmd: Command): string | undefined {
    const g = this.globals(cmd);
    try {
      return imagePaths(g.root, { state: g.stateDir, cache: g.cacheDir }).db;
    } catch {
      return undefined;
    }
  }

  /** Opens the image named by --root; `create` for commands that change it. */
  image(cmd: Command, create = false): Image {
    const g = this.globals(cmd);
    const img = openImage(g.root, { create, state: g.stateDir, cache: g.cacheDir });
    this.images.push(img);
    if (img.rebuilt) this.report(cmd).warn(`the image ${img.paths.root} was rebuilt since zpkg last recorded it (a new boot): ${img.rebuilt.packages === 1 ? 'the 1 package recorded as installed was' : `the ${img.rebuilt.packages} packages recorded as installed were`} dropped; history, remotes and the cache (${img.paths.cache}) are kept — install the release again with \`zpkg sync --boot\``);
    return img;
  }

  /**
   * The image for a command that acts only on what is installed (remove,
   * fix, rollback, gc, …): one with no zpkg state yet is opened as it reads —
   * empty, in memory — so the command gives its answer (nothing installed,
   * nothing to do) without creating state or a root directory.
   */
  installedImage(cmd: Command, create: boolean): Image {
    const g = this.globals(cmd);
    return this.image(cmd, create && hasState(g.root, { state: g.stateDir, cache: g.cacheDir }));
  }

  /**
   * The image for a command that installs from remotes (install, update,
   * sync): one with no zpkg state yet has no remotes, and is refused before
   * its state — or its root directory — is created.
   */
  imageToInstallInto(cmd: Command, create: boolean): Image {
    const g = this.globals(cmd);
    if (create && !hasState(g.root, { state: g.stateDir, cache: g.cacheDir })) {
      throw new ZpkgError('E_NO_REMOTES', `image ${resolve(g.root)} has no remotes to install from (it has no zpkg state yet)`, { hint: 'add one with `zpkg remote add NAME URL --key KEY`' });
    }
    return this.image(cmd, create);
  }

  /**
   * Opens the image for a command that only reads it: from the backup of the
   * last commit when state.db is damaged, from a copy when the image cannot
   * be written — and says so.
   */
  async readImage(cmd: Command): Promise<Image> {
    const g = this.globals(cmd);
    const { openImageForReading } = await import('../image/read-image.js');
    return this.opened(cmd, openImageForReading(g.root, { state: g.stateDir, cache: g.cacheDir }));
  }

  /** readImage with the state's quick_check left to the caller (see openImageForReadingUnchecked). */
  async readImageUnchecked(cmd: Command): Promise<UncheckedImage> {
    const g = this.globals(cmd);
    const { openImageForReadingUnchecked } = await import('../image/read-image.js');
    const r = openImageForReadingUnchecked(g.root, { state: g.stateDir, cache: g.cacheDir });
    this.opened(cmd, r.image);
    return r;
  }

  /** Keeps `img` to close at the end, and warns of what opening it for reading found. */
  private opened(cmd: Command, img: Image): Image {
    this.images.push(img);
    if (img.rebuilt) this.report(cmd).warn(`the image ${img.paths.root} was rebuilt since zpkg last recorded it (a new boot): ${img.rebuilt.packages === 1 ? 'the 1 package recorded as installed was' : `the ${img.rebuilt.packages} packages recorded as installed were`} dropped; history, remotes and the cache (${img.paths.cache}) are kept — install the release again with \`zpkg sync --boot\``);
    if (img.fromBackup) this.report(cmd).warn(`${img.fromBackup.reason} — read from the backup written at the last commit (${img.fromBackup.path}, ${img.fromBackup.writtenAt}); changing commands refuse until state.db is restored (see \`zpkg --json list\` error hint or the README "Damaged state")`);
    if (img.readOnly) this.report(cmd).warn(`image ${img.paths.root} cannot be written: its state was read as it is`);
    return img;
  }

  /** The command line as typed, for history. */
  commandLine(): string {
    return ['zpkg', ...this.argv].map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
  }

  close(): void {
    for (const img of this.images) img.close();
  }
}
