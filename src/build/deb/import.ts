/**
 * `zpkg import-deb`: Debian packages turned into zpkg packages (package.ts)
 * and, given a repository, published together in one repository version.
 * Every archive is read and checked before anything is published, so one bad
 * .deb publishes nothing. The converted contents live in one temporary
 * directory of the import, removed when it ends whatever happened (a .deb
 * refused halfway through its conversion included).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Digest } from '../../core/digest.js';
import type { Report } from '../../report/report.js';
import type { RepoWriter } from '../../repo/backend.js';
import { publishPackages, type PublishOutcome, type PublishResult } from '../../repo/publish.js';
import type { Signer } from '../../repo/trust/sign.js';
import { packageFromDeb, type DebPackage } from './package.js';

export interface ImportDebOptions {
  /** Where to publish; without it the packages are converted and checked only. */
  repo?: RepoWriter;
  /** Replace a published package of the same name and version. */
  replace?: boolean;
  /** zstd level of the blobs written. */
  level?: number;
  /** Add the so:/file: relations derived from the ELF objects (default true). */
  derive?: boolean;
  /** The repository's signing keys, when publishing. */
  signer?: Signer;
  /** Progress of converting and publishing, and each package's warnings. */
  report: Report;
}

/** One imported package, as `import-deb` reports it. */
export interface ImportedDeb {
  name: string;
  version: string;
  manifest: Digest;
  files: number;
  bytes: number;
  depends: string[];
  provides: string[];
  /** Debian's `Essential: yes`: the package is protected in images (txn/protect.ts). */
  essential: boolean;
  /** Paths of its config files (Debian conffiles). */
  config: string[];
  /** Maintainer scripts not run, and other things worth saying. */
  warnings: string[];
  /** What publishing did with it (absent without a repository). */
  status?: PublishOutcome['status'];
}

export interface ImportDebResult {
  packages: ImportedDeb[];
  publish?: PublishResult;
}

function describe(b: DebPackage, status: PublishOutcome['status'] | undefined): ImportedDeb {
  return {
    name: b.manifest.name,
    version: b.manifest.version,
    manifest: b.digest,
    files: b.files,
    bytes: b.contentBytes,
    depends: b.manifest.depends,
    provides: b.manifest.provides,
    essential: b.manifest.essential === true,
    config: b.manifest.actions.filter((a) => a.type === 'file' && a.config).map((a) => (a as { path: string }).path),
    warnings: b.warnings,
    ...(status ? { status } : {}),
  };
}

export async function importDebs(debs: readonly string[], o: ImportDebOptions): Promise<ImportDebResult> {
  const work = mkdtempSync(join(tmpdir(), 'zpkg-import-deb-'));
  const built: DebPackage[] = [];
  try {
    const progress = o.report.progress('convert', debs.length);
    for (const [i, deb] of debs.entries()) {
      const p = packageFromDeb(deb, { derive: o.derive, workDir: join(work, String(i)) });
      built.push(p);
      for (const w of p.warnings) o.report.warn(w);
      progress.tick(1, p.contentBytes);
    }
    progress.done(`${built.length} packages`);
    if (!o.repo) return { packages: built.map((b) => describe(b, undefined)) };
    const pub = o.report.progress('publish', built.reduce((n, b) => n + b.blobs.size, 0));
    const published = await publishPackages(o.repo, built, { replace: o.replace, level: o.level, signer: o.signer, onBlob: (n) => pub.tick(1, n) });
    pub.done(`${published.blobsWritten} blobs written, ${published.blobsReused} already there`);
    return { packages: built.map((b, i) => describe(b, published.packages[i]!.status)), publish: published };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
