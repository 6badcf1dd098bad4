/**
 * Phase 3 of `solver`: the sets of uninstallable packages, side by side —
 * installcheck, `zpkg repo check`, checkInstallable in process, and
 * dose-distcheck when it ran. Differences are results (the report prints each),
 * not failures; only what makes a set unreadable is a problem.
 */
import { parseInstallcheck } from '../shared/installcheck.js';
import { parseDose, difference } from './peers.js';
import type { Bench, Measured, Prepared, Verified } from './types.js';

export function compareSets(b: Bench, p: Prepared, m: Measured): Verified {
  const installcheck = parseInstallcheck(m.installcheckOut, p.names);
  if (installcheck.unknown.length) b.problems.push(`installcheck named solvables not in the index: ${installcheck.unknown.join(', ')}`);
  const zpkgCli = (m.cliOut?.uninstallable ?? []).map((u) => `${u.name} ${u.version}`).sort();
  const zpkgInProcess = [...(m.inproc.at(-1)?.uninstallable ?? [])].sort();
  const dose = m.doseRun ? parseDose(m.doseRun.stdout) : null;
  const reasonOf = new Map((m.cliOut?.uninstallable ?? []).map((u) => [`${u.name} ${u.version}`, u.reason]));
  if (JSON.stringify(zpkgInProcess) !== JSON.stringify(zpkgCli)) {
    b.problems.push(
      `checkInstallable in process and \`zpkg repo check\` disagree: ${difference(zpkgInProcess, zpkgCli).length} only in process, ${difference(zpkgCli, zpkgInProcess).length} only in the CLI`,
    );
  }
  return {
    installcheck,
    zpkgCli,
    zpkgInProcess,
    dose,
    onlyZpkg: difference(zpkgCli, installcheck.packages),
    onlyInstallcheck: difference(installcheck.packages, zpkgCli),
    reasonOf,
  };
}
