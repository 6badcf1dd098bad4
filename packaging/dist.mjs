#!/usr/bin/env node
/**
 * `npm run dist`: the self-contained zpkg — the bundle — that runs on an image
 * with no libc, no shell and no Node (README "Installing zpkg on a node").
 *
 *   npm run dist [-- --out DIR] [--version V] [--no-tar] [--level N] [--repo URL --key FILE...]
 *
 * Writes `dist/zpkg-VERSION-linux-x86_64/` — a recipe (`zpkg.yaml`, from
 * packaging/zpkg.yaml) beside the tree it packs (`root/`) — and
 * `dist/zpkg-VERSION-linux-x86_64.tar.zst`, the same tree as a tarball to
 * unpack at `/` (or anywhere: the launcher finds the bundle beside itself).
 * With `--repo`, the recipe is also built and published there as the package
 * `zpkg` (by this checkout's own zpkg: run `npm run build` first).
 *
 * The tree:
 *   usr/bin/zpkg                      → ../lib/zpkg/zpkg
 *   usr/lib/zpkg/zpkg                 the launcher (packaging/launcher.c, static)
 *   usr/lib/zpkg/node                 this machine's node, stripped
 *   usr/lib/zpkg/lib/                 the loader and every library node and the add-ons load, from Debian packages
 *   usr/lib/zpkg/app/zpkg.js          the loader of main.js (packaging/loader.cjs)
 *   usr/lib/zpkg/app/main.js          zpkg and its npm dependencies, one file (esbuild), and main.js.cache (V8 code cache)
 *   usr/lib/zpkg/app/lazy/            undici, the S3 SDK, fastify: each one file, loaded only by the commands that use it
 *   usr/lib/zpkg/app/*-worker.js      the worker threads (staging, site rendering, graph layout, …)
 *   usr/lib/zpkg/app/addons/          better-sqlite3, zstd-napi, snappy add-ons, stripped
 *   usr/lib/zpkg/bin/                 busybox (static) as `sync`, `chroot`, `unshare`, `mount`, `sh`: syncfs(2) and chrooted hooks (with /dev and /proc in a namespace)
 *   usr/lib/zpkg/BUNDLE.json          every file: size and where it came from
 *   usr/share/doc/zpkg/               licences of what the bundle carries
 *
 * A build whose inputs (sources, lock file, node, add-ons, busybox, options)
 * are unchanged since the last one into the same directory is reused.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { ADDONS, LAZY, writeApp } from './lib/js.mjs';
import { warmCodeCaches } from './lib/warm-up.mjs';
import { addonSource as addonOf, filesUnder, hashIdentities, hashSources, packageDir } from './lib/inputs.mjs';
import { debianOrigin, LOADER, neededLibraries } from './lib/debian-files.mjs';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PREFIX = 'usr/lib/zpkg';

function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw new Error(`${cmd} cannot run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().slice(-2000)}`);
  return r.stdout;
}

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin'])) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function hasInterpreter(elf) {
  return /INTERP/.test(sh('readelf', ['-lW', elf]));
}

const addonSource = (a) => addonOf(REPO_ROOT, a);

/**
 * Every command compiles main.js before it starts (its code cache only saves
 * the parse), so its size is start-up time: a dependency that slips into it
 * instead of a lazy file (packaging/lib/js.mjs LAZY) fails the build, naming
 * the biggest inputs, rather than slowing every command unnoticed.
 */
export const MAIN_JS_BUDGET = 1_100_000;

function checkMainBudget(file, metafile) {
  const size = statSync(file).size;
  if (size <= MAIN_JS_BUDGET) return;
  const inputs = Object.entries(metafile.outputs[Object.keys(metafile.outputs).find((k) => k.endsWith('/main.js')) ?? '']?.inputs ?? {})
    .map(([path, i]) => [path.replace(/^.*node_modules\//, ''), i.bytesInOutput])
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([path, n]) => `  ${(n / 1e3).toFixed(0)} kB  ${path}`);
  throw new Error(`app/main.js is ${size} bytes, over its budget of ${MAIN_JS_BUDGET}: load the new dependency lazily (packaging/lib/js.mjs LAZY). Biggest inputs:\n${inputs.join('\n')}`);
}

/** What the build reads, by content (sources) or by identity (binaries of the machine). */
function inputsDigest(options, node, busybox) {
  const h = createHash('sha256');
  h.update(JSON.stringify({ version: options.version, level: options.level, tar: options.tar }));
  hashSources(h, REPO_ROOT);
  hashIdentities(h, [node, busybox, ...ADDONS.map(addonSource)]);
  return h.digest('hex');
}

function copyStripped(from, to, mode) {
  copyFileSync(from, to);
  chmodSync(to, 0o644 | 0o200);
  sh('strip', ['--strip-unneeded', to]);
  chmodSync(to, mode);
}

/** The licence files of the Debian packages and npm packages the bundle carries. */
function writeLicences(docDir, debPackages, metafile) {
  mkdirSync(join(docDir, 'debian'), { recursive: true });
  for (const pkg of debPackages) {
    const c = `/usr/share/doc/${pkg}/copyright`;
    if (existsSync(c)) copyFileSync(c, join(docDir, 'debian', pkg));
  }
  const npm = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
    if (!m) continue;
    const name = m.at(-1).slice('node_modules/'.length, -1);
    if (npm.has(name)) continue;
    const dir = join(REPO_ROOT, input.slice(0, input.lastIndexOf(`node_modules/${name}/`) + `node_modules/${name}`.length));
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenceFile = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    npm.set(name, { version: pj.version, license: pj.license ?? '', text: licenceFile ? readFileSync(join(dir, licenceFile), 'utf8') : '' });
  }
  const parts = [...npm].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, p]) => `## ${name} ${p.version} (${p.license})\n\n${p.text.trim()}\n`);
  writeFileSync(join(docDir, 'THIRD-PARTY.md'), `# npm packages bundled in zpkg's app/main.js\n\n${parts.join('\n')}`);
  return [...npm.keys()];
}

/**
 * Builds the bundle into `options.out` (a recipe directory: zpkg.yaml + root/)
 * and, unless `tar: false`, the tarball beside it. Returns what it holds.
 */
export async function buildBundle(options) {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const o = { version: pkg.version, tar: true, level: 19, log: (m) => process.stderr.write(`dist: ${m}\n`), ...options };
  const name = `zpkg-${o.version}-linux-x86_64`;
  const out = resolve(o.out ?? join(REPO_ROOT, 'dist', name));
  const tarball = o.tar ? `${out}.tar.zst` : undefined;
  const node = process.execPath;
  const busybox = which('busybox');
  if (!busybox) throw new Error('busybox is missing: install the Debian package busybox-static');
  if (hasInterpreter(busybox)) throw new Error(`${busybox} is not static: install the Debian package busybox-static`);
  const digest = inputsDigest(o, node, busybox);
  const stamp = join(out, '.inputs');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest && (!tarball || existsSync(tarball))) {
    o.log(`${relative(process.cwd(), out)} is up to date`);
    return JSON.parse(readFileSync(join(out, 'root', PREFIX, 'BUNDLE.json'), 'utf8'));
  }

  rmSync(out, { recursive: true, force: true });
  const tree = join(out, 'root');
  const B = join(tree, PREFIX);
  for (const d of ['app/addons', 'lib', 'bin']) mkdirSync(join(B, d), { recursive: true });
  mkdirSync(join(tree, 'usr/bin'), { recursive: true });
  const origins = {};

  o.log('bundling the JavaScript (esbuild)');
  const { metafile } = await writeApp({ repoRoot: REPO_ROOT, outDir: join(B, 'app'), version: o.version });
  checkMainBudget(join(B, 'app/main.js'), metafile);
  const workers = readdirSync(join(B, 'app')).filter((f) => f.endsWith('-worker.js')).map((f) => `app/${f}`);
  for (const f of ['app/zpkg.js', 'app/main.js', ...workers]) origins[f] = 'zpkg (this checkout), esbuild';
  for (const l of LAZY) origins[`app/lazy/${l.file}`] = `npm ${l.pkg}, esbuild (loaded only by the commands that use it)`;

  o.log('add-ons');
  const elves = [node];
  for (const a of ADDONS) {
    const from = addonSource(a);
    copyStripped(from, join(B, 'app/addons', a.name), 0o755);
    origins[`app/addons/${a.name}`] = `npm ${a.pkg} ${JSON.parse(readFileSync(join(packageDir(REPO_ROOT, a.pkg), 'package.json'), 'utf8')).version}, stripped`;
    elves.push(from);
  }

  o.log(`node (${node})`);
  const nodeOrigin = debianOrigin(node);
  copyStripped(node, join(B, 'node'), 0o755);
  origins.node = `Debian package ${nodeOrigin.package} ${nodeOrigin.version} (${nodeOrigin.path}), stripped`;

  o.log('libraries from Debian packages');
  const libs = new Map();
  for (const elf of elves) for (const [soname, path] of neededLibraries(elf)) libs.set(soname, path);
  const debPackages = new Set([nodeOrigin.package]);
  for (const [soname, path] of [...libs].sort()) {
    const origin = debianOrigin(path);
    copyFileSync(origin.path, join(B, 'lib', soname));
    chmodSync(join(B, 'lib', soname), soname === LOADER ? 0o755 : 0o644);
    origins[`lib/${soname}`] = `Debian package ${origin.package} ${origin.version} (${origin.path})`;
    debPackages.add(origin.package);
  }

  o.log('busybox (static) for sync -f and chroot');
  const bb = debianOrigin(busybox);
  copyFileSync(bb.path, join(B, 'bin/busybox'));
  chmodSync(join(B, 'bin/busybox'), 0o755);
  for (const applet of ['sync', 'chroot', 'unshare', 'mount', 'sh']) symlinkSync('busybox', join(B, 'bin', applet));
  origins['bin/busybox'] = `Debian package ${bb.package} ${bb.version} (${bb.path})`;
  debPackages.add(bb.package);

  o.log('the launcher (cc -static)');
  sh('cc', ['-static', '-Os', '-s', '-Wall', '-Werror', '-o', join(B, 'zpkg'), join(REPO_ROOT, 'packaging/launcher.c')]);
  chmodSync(join(B, 'zpkg'), 0o755);
  origins.zpkg = 'packaging/launcher.c, cc -static';
  symlinkSync(`../lib/zpkg/zpkg`, join(tree, 'usr/bin/zpkg'));

  const docDir = join(tree, 'usr/share/doc/zpkg');
  mkdirSync(docDir, { recursive: true });
  copyFileSync(join(REPO_ROOT, 'README.md'), join(docDir, 'README.md'));
  const npmPackages = writeLicences(docDir, [...debPackages].sort(), metafile);

  o.log('checking: every library node maps is the bundle\'s own');
  const listed = sh(join(B, 'lib', LOADER), ['--library-path', join(B, 'lib'), '--list', join(B, 'node')]);
  const outside = listed.split('\n').filter((l) => /=>\s+\//.test(l) && !l.includes(`${B}/lib/`));
  if (outside.length) throw new Error(`node would load libraries from outside the bundle:\n${outside.join('\n')}`);
  const said = sh(join(B, 'zpkg'), ['--version'], { env: { PATH: '/nonexistent' } }).trim();
  if (said !== o.version) throw new Error(`the bundle says \`${said}\`, not ${o.version}`);

  o.log('the V8 code caches of main.js and undici (warm-up runs of this very node, packaging/lib/warm-up.mjs)');
  await warmCodeCaches({ command: [join(B, 'zpkg')], env: { PATH: '/nonexistent' } }, join(out, '.warm'));
  for (const f of ['main.js', ...LAZY.map((l) => `lazy/${l.file}`)]) if (existsSync(join(B, 'app', `${f}.cache`))) origins[`app/${f}.cache`] = `V8 code cache of ${f}, made by the bundled node`;
  for (const f of readdirSync(join(B, 'app'))) {
    const m = /^main\.js\.([a-z0-9-]+)\.cache$/.exec(f);
    if (m) origins[`app/${f}`] = `V8 code cache of main.js for \`zpkg ${m[1]}\`, made by the bundled node`;
  }

  const files = filesUnder(B).map((f) => {
    const st = lstatSync(join(B, f));
    return { path: `${PREFIX}/${f}`, bytes: st.isSymbolicLink() ? 0 : st.size, from: origins[f] ?? (st.isSymbolicLink() ? 'symlink to busybox' : 'zpkg (this checkout)') };
  });
  const info = {
    name: 'zpkg',
    version: o.version,
    arch: 'x86_64',
    node: process.version,
    launcher: `${PREFIX}/zpkg: ${PREFIX}/lib/${LOADER} --library-path ${PREFIX}/lib ${PREFIX}/node --liftoff-only --min-semi-space-size=4 --heap-growing-percent=100 ${PREFIX}/app/zpkg.js ARGS`,
    debianPackages: [...debPackages].sort(),
    npmPackages,
    bytes: files.reduce((n, f) => n + f.bytes, 0),
    files,
  };
  writeFileSync(join(B, 'BUNDLE.json'), `${JSON.stringify(info, null, 2)}\n`);

  const recipe = parseYaml(readFileSync(join(REPO_ROOT, 'packaging/zpkg.yaml'), 'utf8'));
  recipe.version = o.version;
  writeFileSync(join(out, 'zpkg.yaml'), `# Written by npm run dist from packaging/zpkg.yaml.\n${stringifyYaml(recipe)}`);

  if (tarball) {
    o.log(`${relative(process.cwd(), tarball)} (zstd -${o.level})`);
    rmSync(tarball, { force: true });
    sh('sh', ['-c', `tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$1" -cf - . | zstd -q -T0 -${o.level} -o "$2"`, 'tar', tree, tarball]);
    info.tarball = { path: tarball, bytes: statSync(tarball).size };
  }
  writeFileSync(stamp, digest);
  return info;
}

/** What takes the space: one line per part of the bundle. */
export function sizeTable(info) {
  const groups = new Map();
  for (const f of info.files) {
    const rel = f.path.slice(PREFIX.length + 1);
    const key = rel.startsWith('app/node_modules/') || rel === 'app/package.json' || rel === 'BUNDLE.json' || f.bytes === 0 ? 'small files and symlinks' : rel;
    groups.set(key, (groups.get(key) ?? 0) + f.bytes);
  }
  const rows = [...groups].sort((a, b) => b[1] - a[1]);
  const mb = (n) => (n / 1e6).toFixed(2).padStart(7);
  const lines = rows.map(([k, n]) => `${mb(n)} MB  ${k}`);
  lines.push(`${mb(info.bytes)} MB  in all (${info.files.length} files)`);
  if (info.tarball) lines.push(`${mb(info.tarball.bytes)} MB  ${relative(process.cwd(), info.tarball.path)}`);
  return lines.join('\n');
}

function parseArgs(argv) {
  const o = { keys: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--out') o.out = value();
    else if (a === '--version') o.version = value();
    else if (a === '--no-tar') o.tar = false;
    else if (a === '--level') o.level = Number(value());
    else if (a === '--repo') o.repo = value();
    else if (a === '--key') o.keys.push(value());
    else throw new Error(`unknown argument ${a} (see packaging/dist.mjs)`);
  }
  return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { repo, keys, ...o } = parseArgs(process.argv.slice(2));
    const info = await buildBundle(o);
    process.stdout.write(`zpkg ${info.version} bundle:\n${sizeTable(info)}\n`);
    if (repo) {
      const dir = o.out ? resolve(o.out) : join(REPO_ROOT, 'dist', `zpkg-${info.version}-linux-x86_64`);
      const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/zpkg.js'), 'build', dir, '--repo', repo, ...keys.flatMap((k) => ['--key', k])], { stdio: 'inherit' });
      process.exitCode = r.status ?? 1;
    }
  } catch (err) {
    process.stderr.write(`dist: ${err.message}\n`);
    process.exitCode = 1;
  }
}
