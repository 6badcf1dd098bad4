/**
 * `zpkg lint`: findings about a set of packages — each a code, a severity, the
 * package, the path and a hint (codes in types.ts). The set is what the
 * targets name; relations are checked against the set plus the `--repo`
 * repositories.
 */
import { rmSync } from 'node:fs';
import { ZpkgError } from '../../core/errors.js';
import { checkOverlaps, checkPackage, checkRelations } from './checks.js';
import { isRecipeDir, isRepoDir, newest, openRepo, recipePackage, repoPackage, scratchDir, type OpenRepo } from './load.js';
import type { Finding, LintPackage, Satisfier } from './types.js';

export type { Finding, FindingCode, LintPackage, Severity } from './types.js';

export interface LintOptions {
  /** Recipe directories, repository directories, or package names looked up in `repos`. */
  targets: string[];
  repos: string[];
  onPackage?: () => void;
}

export interface LintResult {
  packages: { name: string; version: string; origin: string }[];
  findings: Finding[];
  errors: number;
  warnings: number;
}

export async function lint(options: LintOptions): Promise<LintResult> {
  const scratch = scratchDir();
  try {
    const repos: OpenRepo[] = [];
    for (const r of options.repos) repos.push(await openRepo(r));
    const set: LintPackage[] = [];
    for (const target of options.targets) {
      if (isRecipeDir(target)) set.push(recipePackage(target));
      else if (isRepoDir(target)) {
        const repo = await openRepo(target);
        for (const e of newest(repo.entries)) set.push(await repoPackage(repo, e, scratch));
      } else {
        const repo = repos.find((r) => r.entries.some((e) => e.name === target));
        if (repo === undefined) {
          throw new ZpkgError('E_PACKAGE_UNKNOWN', `\`${target}\` is neither a recipe directory (no zpkg.yaml), a repository (no root.json), nor a package in ${repos.length ? repos.map((r) => r.reader.location).join(', ') : 'any --repo'}`, {
            hint: 'name a package together with `--repo DIR`',
          });
        }
        const entry = newest(repo.entries.filter((e) => e.name === target))[0]!;
        set.push(await repoPackage(repo, entry, scratch));
      }
      options.onPackage?.();
    }
    const others: Satisfier[] = repos.flatMap((r) => r.entries.map((e) => ({ name: e.name, version: e.version, provides: e.provides })));
    const findings = [...set.flatMap(checkPackage), ...checkOverlaps(set), ...checkRelations(set, others)];
    const errors = findings.filter((f) => f.severity === 'error').length;
    return { packages: set.map((p) => ({ name: p.manifest.name, version: p.manifest.version, origin: p.origin })), findings, errors, warnings: findings.length - errors };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
