/**
 * Phase 1 of `solver`: the peers are there, and every side has its input.
 * The machine's `Packages` index (apt's LZ4 file) is decompressed once to a
 * plain file under .bench/solver/, which every tool reads; python3-solv writes
 * its .solv for installcheck (not timed); `zpkg repo import-index` makes the
 * catalog-only repository that `repo check`, `install -n` and the zpkg solve
 * processes read.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackagesIndex } from '#debian-index';
import { decompressIndex } from '../../src/repo/debian/index.js';
import { haveGnuTime, run, tailLines, timed, which } from '../proc.js';
import { solvableNames } from '../shared/installcheck.js';
import { fmtInt, fmtMB, fmtSeconds } from '../table.js';
import { parseJson } from './json.js';
import { PYTHON, type Bench, type Imported, type Prepared } from './types.js';

export async function prepare(b: Bench): Promise<Prepared> {
  const { ctx } = b;
  const w = ctx.workDir;
  if (!haveGnuTime) ctx.log('/usr/bin/time is missing (apt-get install -y time): peak RSS reads n/a');

  // Peers.
  const solvOk = (await run(PYTHON, ['-c', 'import solv'])).code === 0;
  if (!solvOk) throw new Error(`python3-solv is not importable by ${PYTHON} (apt-get install -y python3-solv)`);
  const installcheck = which('installcheck');
  if (!installcheck) throw new Error('installcheck is not installed (apt-get install -y libsolv-tools)');
  const dose = ctx.quick ? null : which('dose-distcheck');
  if (!ctx.quick && !dose) ctx.log('dose-distcheck is not installed (apt-get install -y dose-distcheck): its row reads n/a');

  // The index, as one plain file.
  const index = findPackagesIndex();
  if (!index) throw new Error('no Debian main binary-amd64 Packages index under /var/lib/apt/lists (run apt-get update, or set ZPKG_PACKAGES_INDEX)');
  const plain = join(w, 'Packages');
  const plainBytes = decompressIndex(readFileSync(index), index);
  writeFileSync(plain, plainBytes);
  const names = solvableNames(plainBytes.toString('utf8'));
  ctx.log(`index ${index}: ${fmtInt(names.size)} stanzas, ${fmtMB(plainBytes.length)} MB plain → ${plain}`);

  // The .solv for installcheck (python3-solv writes it; not a timed figure).
  const solvFile = join(w, 'main.solv');
  const ws = await timed(PYTHON, [b.libsolvPy, 'write-solv', plain, solvFile]);
  if (ws.code !== 0) throw new Error(`libsolv.py write-solv failed: ${tailLines(ws.stderr, 10)}`);

  // A catalog-only repository for `zpkg repo check`, `install -n` and the zpkg solve processes.
  const node = process.execPath;
  const repo = join(w, 'repo');
  const importRun = await timed(node, [b.zpkgBin, '--json', 'repo', 'import-index', plain, '--repo', repo]);
  if (importRun.code !== 0) throw new Error(`zpkg repo import-index failed: ${tailLines(importRun.stderr || importRun.stdout, 10)}`);
  const imported = parseJson<Imported>(importRun, 'zpkg repo import-index');
  ctx.log(
    `zpkg repo import-index: ${fmtInt(imported.packages)} packages, ${fmtInt(imported.dependencyClauses)} dependency clauses, ${fmtInt(imported.provides)} provides, ` +
      `${fmtInt(imported.conflicts)} conflicts, ${imported.skipped.length} skipped, ${fmtSeconds(importRun.seconds)} s`,
  );

  const image = join(w, 'image');
  const addRemote = await run(node, [b.zpkgBin, '--root', image, 'remote', 'add', 'main', repo, '--insecure']);
  if (addRemote.code !== 0) throw new Error(`zpkg remote add failed: ${tailLines(addRemote.stderr || addRemote.stdout, 10)}`);

  return { index, plain, names, solvFile, repo, image, importRun, imported, installcheck, dose };
}
