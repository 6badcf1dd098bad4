#!/usr/bin/env node
/**
 * `npm test`'s pretest step: makes sure the Debian tools the tests and
 * benchmarks use are installed, and that a Debian main Packages index (the
 * real-world corpus) is in /var/lib/apt/lists.
 *
 * Fast and quiet when all is there (one line). Otherwise, as root, it installs
 * what is missing with apt-get (running `apt-get update` at most once, and only
 * when the index is missing or apt cannot install from the lists it has); not
 * as root, it prints the commands to run and exits 1.
 *
 * To require another tool, add a row to TOOLS; nothing else needs to change.
 *   { deb, bin }    installed when the executable `bin` is on PATH (or in an sbin directory)
 *   { deb, check }  installed when the command `check` ([file, ...args]) exits 0
 */
export const TOOLS = [
  { deb: 'lz4', bin: 'lz4' },
  // the hostile corpus (issue 16 §3): zstd makes decompression bombs from a stream, GNU time measures peak memory
  { deb: 'zstd', bin: 'zstd' },
  { deb: 'time', check: ['/usr/bin/time', '--version'] },
  { deb: 'libsolv-tools', bin: 'installcheck' },
  { deb: 'python3-solv', check: ['/usr/bin/python3', '-c', 'import solv'] },
  { deb: 'dose-distcheck', bin: 'dose-distcheck' },
  // dpkg-deb itself ships in `dpkg` (always there); dpkg-dev brings dpkg-scanpackages, dpkg-shlibdeps, …
  { deb: 'dpkg-dev', bin: 'dpkg-scanpackages' },
  // real supervisors for the service-manager tests (test/services.test.ts)
  { deb: 'runit', bin: 'runsvdir' },
  { deb: 's6', bin: 's6-svscan' },
  // a real static web server for the http backend tests (issue 7)
  { deb: 'nginx-light', bin: 'nginx' },
  // `as`, `ld` and readelf: the glibc scenario crafts an old libc.so.6 (test/glibc-scenario.test.ts)
  { deb: 'binutils', bin: 'ld' },
  // flists (issue 14): sqlite3 reads .fl files as rfs writes them; the rfs model in Python
  // (test/helpers/rfs_model.py) seals blocks with C++ snappy and OpenSSL's AES-GCM; a static
  // busybox runs in the zos-like image (also the static /bin/sh of issue 13's zinit model, examples/zos and
  // hooks in a fresh image, and the bundle's `sync -f` and `chroot`: npm run dist, test/bare-root.test.ts); rfs's own Rust crates build the block oracle offline
  { deb: 'sqlite3', bin: 'sqlite3' },
  { deb: 'python3-snappy', check: ['/usr/bin/python3', '-c', 'import snappy'] },
  { deb: 'python3-cryptography', check: ['/usr/bin/python3', '-c', 'from cryptography.hazmat.primitives.ciphers.aead import AESGCM'] },
  { deb: 'busybox-static', check: ['/bin/sh', '-c', 'test -x /bin/busybox && ! ldd /bin/busybox >/dev/null 2>&1'] },
  { deb: 'librust-snap-dev', check: ['/bin/sh', '-c', 'ls -d /usr/share/cargo/registry/snap-1.*'] },
  { deb: 'librust-blake2b-simd-dev', check: ['/bin/sh', '-c', 'ls -d /usr/share/cargo/registry/blake2b_simd-1.*'] },
  // rustup's cargo when the machine has one, else Debian's
  { deb: 'cargo', check: ['/bin/sh', '-c', 'command -v cargo || test -x "$HOME/.cargo/bin/cargo"'] },
  // a real browser for the static catalogue's tests (test/site-browser.test.ts), driven by playwright-core
  { deb: 'chromium', bin: 'chromium' },
  // a real forward/CONNECT proxy on loopback for HTTP(S)_PROXY and `proxy:` (test/proxy.test.ts, issue 17)
  { deb: 'tinyproxy-bin', bin: 'tinyproxy' },
];

import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APT_LISTS as LISTS, baseSuiteOf, findPackagesIndex as findIndex } from './debian-index.mjs';

const ARCH = 'amd64';
/** sbin directories are searched too: a user's PATH often lacks them (nginx lives in /usr/sbin). */
const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
/** Wait for a concurrent apt/dpkg rather than fail on its lock. */
const APT_OPTS = ['-q', '-o', 'DPkg::Lock::Timeout=300', '-o', 'Dpkg::Use-Pty=0'];

function log(message) {
  process.stdout.write(`pretest: ${message}\n`);
}

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(bin) {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  return [...dirs, ...SBIN].some((dir) => isExecutable(join(dir, bin)));
}

function isPresent(tool) {
  if (tool.bin !== undefined) return onPath(tool.bin);
  if (tool.check !== undefined) {
    const [file, ...args] = tool.check;
    const r = spawnSync(file, args, { stdio: 'ignore', timeout: 30_000 });
    return r.status === 0;
  }
  throw new Error(`pretest: row for ${tool.deb} needs \`bin\` or \`check\``);
}

/** `bookworm main index` for …/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4; else the path ($ZPKG_PACKAGES_INDEX). */
function describeIndex(path) {
  const suite = baseSuiteOf(path);
  return suite === undefined ? path : `${suite} main index`;
}

function missingTools() {
  return TOOLS.filter((t) => !isPresent(t)).map((t) => t.deb);
}

function run(cmd, args) {
  log(`running: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: APT_ENV });
  if (r.error) log(`${cmd} failed to start: ${r.error.message}`);
  return r.status === 0;
}

function aptInstall(debs) {
  return run('apt-get', ['install', '-y', '--no-install-recommends', ...APT_OPTS, ...debs]);
}

function aptUpdate() {
  return run('apt-get', ['update', ...APT_OPTS]);
}

function main() {
  const t0 = performance.now();
  let missing = missingTools();
  let index = findIndex();
  if (missing.length === 0 && index !== undefined) {
    log(`ok: ${TOOLS.length} Debian packages, ${describeIndex(index)} (${(performance.now() - t0).toFixed(0)} ms)`);
    return 0;
  }

  const wants = [
    ...(missing.length > 0 ? [`packages ${missing.join(' ')}`] : []),
    ...(index === undefined ? [`a main binary-${ARCH} Packages index in ${LISTS}`] : []),
  ];
  log(`missing ${wants.join(' and ')}`);

  if (!onPath('apt-get')) {
    log('this is not a Debian system (no apt-get): install the equivalents by hand');
    return 1;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    const installLine = `sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing.join(' ')}`;
    process.stdout.write('pretest: not root; run these, then `npm test` again:\n');
    if (index === undefined) process.stdout.write('  sudo apt-get update\n');
    if (missing.length > 0) process.stdout.write(`  ${installLine}\n`);
    if (index !== undefined) process.stdout.write('  (if apt-get cannot find a package, run `sudo apt-get update` first)\n');
    return 1;
  }

  // apt-get update only when needed: no index, or apt cannot install from the lists it has.
  let updated = false;
  if (index === undefined) {
    updated = true;
    if (!aptUpdate()) {
      log('apt-get update failed');
      return 1;
    }
  }
  if (missing.length > 0 && !aptInstall(missing)) {
    if (updated) {
      log('apt-get install failed');
      return 1;
    }
    log('apt-get install failed with the current lists; updating them and trying once more');
    updated = true;
    if (!aptUpdate() || !aptInstall(missing)) {
      log('apt-get install failed');
      return 1;
    }
  }

  missing = missingTools();
  index = findIndex();
  if (missing.length > 0) {
    log(`still missing after apt-get: ${missing.join(' ')}`);
    return 1;
  }
  if (index === undefined) {
    log(`still no main binary-${ARCH} Packages index in ${LISTS}: is a Debian \`main\` component in /etc/apt/sources.list(.d)?`);
    return 1;
  }
  log(`ok: installed ${TOOLS.map((t) => t.deb).join(', ')}; ${describeIndex(index)} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main();
}
