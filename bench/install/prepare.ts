/**
 * Phase 1 of `install`: the inputs and the ways to install them.
 * The tree (bench/tree.ts) is packaged three ways: a .deb (`dpkg-deb -Zzstd
 * --build`), a zpkg package (`zpkg build` into a directory repository) and an
 * uncompressed tar; each `Measure` then installs one of them into a fresh target.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { bytesUnder, haveGnuTime, mustRun, run, syncNow, timed, which } from '../proc.js';
import { fmtInt, fmtMB, fmtSeconds } from '../table.js';
import { FULL_SHAPE, QUICK_SHAPE, generateTree, type TreeSpec } from '../tree.js';
import { stepsOf } from './steps.js';
import { PKG, REMOTE, ZPKG_UNSAFE_IO_FLAG, type Bench, type Builds, type Measure, type Prepared } from './types.js';

export async function prepare(b: Bench): Promise<Prepared> {
  const { ctx } = b;
  const w = ctx.workDir;
  for (const tool of ['dpkg', 'dpkg-deb', 'tar']) if (!which(tool)) throw new Error(`${tool} is not installed (apt-get install dpkg tar)`);
  if (!haveGnuTime) ctx.log('/usr/bin/time is missing (apt-get install -y time): peak RSS and CPU will read n/a');
  const dpkgCfgUnsafe = dpkgConfigForcesUnsafeIo();
  if (dpkgCfgUnsafe) ctx.log(`${dpkgCfgUnsafe} sets force-unsafe-io; the dpkg default row passes --no-force-unsafe-io to get dpkg's own default (fsync)`);
  if (!which('strace')) ctx.log('strace is missing (apt-get install -y strace): durability column shows what each tool claims, not counted calls');

  // The tree.
  const src = join(w, 'src');
  const tree = join(src, 'tree');
  const shape = ctx.quick ? QUICK_SHAPE : FULL_SHAPE;
  ctx.log(`generating the tree (${fmtInt(shape.files)} files, ~${fmtMB(shape.bytes)} MB) in ${tree}`);
  const t0 = Date.now();
  const spec = generateTree(tree, { shape });
  const genSeconds = (Date.now() - t0) / 1000;
  ctx.log(
    `  ${fmtInt(spec.files.length)} files, ${fmtInt(spec.dirs.length)} dirs, ${spec.links.length} symlinks, ${fmtMB(spec.totalBytes)} MB in ${fmtSeconds(genSeconds)} s`,
  );

  // The three packagings, `reps` times each, interleaved (issue 12: build ≤ 1.0× dpkg-deb, median of ≥ 3).
  const debRoot = join(w, 'deb', PKG);
  mkdirSync(join(w, 'deb'), { recursive: true });
  await mustRun('cp', ['-al', tree, debRoot]);
  mkdirSync(join(debRoot, 'DEBIAN'), { mode: 0o755 });
  writeFileSync(join(debRoot, 'DEBIAN', 'control'), debControl(spec));
  const deb = join(w, `${PKG}.deb`);
  const tarball = join(w, 'tree.tar');
  const repo = join(w, 'repo');
  writeFileSync(join(src, 'zpkg.yaml'), zpkgRecipe(spec));
  const builds: Builds = { deb: [], tar: [], zpkg: [] };
  let repoBytes = 0;
  for (let i = 0; i < ctx.reps; i++) {
    ctx.log(`building ${i + 1}/${ctx.reps}: the .deb (dpkg-deb -Zzstd --build), the tar, the zpkg package (zpkg build into a new repository)`);
    rmSync(deb, { force: true });
    syncNow();
    const debBuild = await timed('dpkg-deb', ['-Zzstd', '--build', debRoot, deb]);
    if (debBuild.code !== 0) throw new Error(`dpkg-deb failed: ${debBuild.stderr}`);
    builds.deb.push(debBuild);
    rmSync(tarball, { force: true });
    syncNow();
    const tarBuild = await timed('tar', ['-cf', tarball, '-C', tree, '.']);
    if (tarBuild.code !== 0) throw new Error(`tar -cf failed: ${tarBuild.stderr}`);
    builds.tar.push(tarBuild);
    // The first build's repository is the one installed from; the others are built the same way and removed.
    const into = i === 0 ? repo : join(w, 'repo-again');
    rmSync(into, { recursive: true, force: true });
    const create = await run(...b.zpkg('repo', 'create', into));
    if (create.code !== 0) throw new Error(b.failure(create));
    syncNow();
    const zpkgBuild = await timed(...b.zpkg('build', src, '--repo', into));
    if (zpkgBuild.code !== 0) throw new Error(b.failure(zpkgBuild));
    builds.zpkg.push(zpkgBuild);
    if (i === 0) repoBytes = bytesUnder(repo);
    else rmSync(into, { recursive: true, force: true });
  }
  const debBytes = statSync(deb).size;
  const tarBytes = statSync(tarball).size;

  const firstLine = async (cmd: string, args: string[]): Promise<string | null> => {
    const r = await run(cmd, args).catch(() => null);
    return r && r.code === 0 ? (r.stdout.trim().split('\n')[0] ?? null) : null;
  };
  const versions = {
    dpkg: await firstLine('dpkg', ['--version']),
    tar: await firstLine('tar', ['--version']),
    node: process.version,
    zpkg: await firstLine(...b.zpkg('--version')),
    kernel: os.release(),
  };

  const zpkgImage = async (target: string, repoDir = repo): Promise<void> => {
    mkdirSync(target, { recursive: true });
    for (const args of [['--root', target, 'remote', 'add', REMOTE, repoDir, '--insecure'], ['--root', target, 'refresh']]) {
      const r = await run(...b.zpkg(...args));
      if (r.code !== 0) throw new Error(b.failure(r));
    }
  };
  const measures = withWarmTwins(installers(b, { deb, tarball, zpkgImage }), ['dpkg', 'zpkg', 'zpkg-bundle', 'tar']);
  // The sha256sum -c anchor of verify: the generator's digests of the tree, as the installed paths.
  const sums = join(w, 'tree.sha256');
  writeFileSync(sums, spec.files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
  return { spec, tree, genSeconds, builds, debBytes, tarBytes, repo, repoBytes, versions, dpkgCfgUnsafe, measures, sums, zpkgImage };
}

/** Each measure of `ids` followed by its warm twin: the same command, run right after it without dropping the page cache. */
function withWarmTwins(measures: Measure[], ids: string[]): Measure[] {
  return measures.flatMap((m) => (ids.includes(m.id) ? [m, { ...m, id: `${m.id}-warm`, label: `${m.label} (warm)`, cache: 'warm' as const, twin: m.id, samples: [] }] : [m]));
}

/** The rows of the table, in order: dpkg at its default and unsafe, zpkg at its default and unsafe, the bundle's zpkg (when built), tar. */
function installers(b: Bench, inputs: { deb: string; tarball: string; zpkgImage: (target: string) => Promise<void> }): Measure[] {
  const dpkgPrepare = async (target: string): Promise<void> => {
    mkdirSync(join(target, 'var/lib/dpkg/updates'), { recursive: true });
    mkdirSync(join(target, 'var/lib/dpkg/info'), { recursive: true });
    writeFileSync(join(target, 'var/lib/dpkg/status'), '');
  };
  const dpkgInstall = (target: string, extra: string[]): [string, string[]] => [
    'dpkg',
    [`--root=${target}`, '--force-script-chrootless', ...extra, '--log=/dev/null', '-i', inputs.deb],
  ];
  return [
    {
      id: 'dpkg',
      label: 'dpkg -i',
      claimed: 'fsync per file (dpkg default)',
      prepare: dpkgPrepare,
      // Explicit, because container images often set force-unsafe-io in /etc/dpkg/dpkg.cfg.d/.
      command: (t) => dpkgInstall(t, ['--no-force-unsafe-io']),
      warm: ['dpkg-deb', ['--version']],
      samples: [],
    },
    {
      id: 'dpkg-unsafe',
      label: 'dpkg -i --force-unsafe-io',
      claimed: 'none (--force-unsafe-io)',
      prepare: dpkgPrepare,
      command: (t) => dpkgInstall(t, ['--force-unsafe-io']),
      warm: ['dpkg-deb', ['--version']],
      samples: [],
    },
    {
      id: 'zpkg',
      label: 'zpkg install',
      claimed: 'zpkg default (not traced)',
      prepare: inputs.zpkgImage,
      command: (t) => b.zpkg('--root', t, 'install', '--json', PKG),
      steps: stepsOf,
      warm: b.zpkg('--help'),
      samples: [],
    },
    {
      id: 'zpkg-unsafe',
      label: `zpkg install ${ZPKG_UNSAFE_IO_FLAG}`,
      claimed: `none (${ZPKG_UNSAFE_IO_FLAG})`,
      prepare: inputs.zpkgImage,
      command: (t) => b.zpkg('--root', t, 'install', '--json', ZPKG_UNSAFE_IO_FLAG, PKG),
      steps: stepsOf,
      warm: b.zpkg('--help'),
      samples: [],
    },
    ...(b.bundled
      ? [
          {
            id: 'zpkg-bundle',
            label: 'zpkg install (bundle)',
            claimed: 'zpkg default (not traced)',
            prepare: inputs.zpkgImage,
            command: (t: string) => b.bundled!('--root', t, 'install', '--json', PKG),
            steps: stepsOf,
            warm: b.bundled('--help'),
            samples: [],
          },
        ]
      : []),
    {
      id: 'tar',
      label: 'tar -x (uncompressed)',
      claimed: 'none (tar never syncs)',
      prepare: async (t) => void mkdirSync(t, { recursive: true }),
      command: (t) => ['tar', ['-xf', inputs.tarball, '-C', t]],
      warm: ['tar', ['--version']],
      samples: [],
    },
  ];
}

function debControl(spec: TreeSpec): string {
  return [
    `Package: ${PKG}`,
    'Version: 1.0',
    'Architecture: all',
    'Maintainer: zpkg bench <bench@zpkg.invalid>',
    `Installed-Size: ${Math.ceil(spec.totalBytes / 1024)}`,
    'Description: generated tree for the zpkg install benchmark',
    ` ${fmtInt(spec.files.length)} files, ${fmtMB(spec.totalBytes)} MB, deterministic (seed ${spec.seed}).`,
    '',
  ].join('\n');
}

function zpkgRecipe(spec: TreeSpec): string {
  return [
    `name: ${PKG}`,
    'version: "1.0"',
    'summary: generated tree for the zpkg install benchmark',
    'description: |',
    `  ${fmtInt(spec.files.length)} files, ${fmtMB(spec.totalBytes)} MB, deterministic (seed ${spec.seed}).`,
    '  Built by npm run bench to compare zpkg with dpkg and tar.',
    'license: MIT',
    'arch: all',
    'root: tree',
    '',
  ].join('\n');
}

/** The dpkg configuration file that turns on force-unsafe-io, if any (e.g. Docker's docker-apt-speedup). */
function dpkgConfigForcesUnsafeIo(): string | null {
  const files = ['/etc/dpkg/dpkg.cfg'];
  try {
    for (const f of readdirSync('/etc/dpkg/dpkg.cfg.d')) files.push(`/etc/dpkg/dpkg.cfg.d/${f}`);
  } catch {
    // no directory
  }
  for (const f of files) {
    try {
      if (readFileSync(f, 'utf8').split('\n').some((l) => l.trim() === 'force-unsafe-io')) return f;
    } catch {
      // unreadable: ignore
    }
  }
  return null;
}

