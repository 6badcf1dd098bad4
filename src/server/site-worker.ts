/** A thread that renders the catalogue for the depot (server/site.ts), so serving never waits on it. */
import { parentPort, workerData } from 'node:worker_threads';
import { ZpkgError } from '../core/errors.js';
import { openRepoReader } from '../repo/open.js';
import { renderSite } from '../site/index.js';

const job = workerData as { repo: string; out: string; baseUrl?: string; title?: string };

// No top-level await: the self-contained bundle compiles workers as CommonJS scripts.
async function render(): Promise<void> {
  try {
    const result = await renderSite(openRepoReader(job.repo), { out: job.out, ...(job.baseUrl ? { baseUrl: job.baseUrl } : {}), ...(job.title ? { title: job.title } : {}) });
    parentPort!.postMessage({ ok: true, rootVersion: result.rootVersion, seconds: result.seconds.total, pages: result.pages.total });
  } catch (err) {
    const e = err instanceof ZpkgError ? err : new ZpkgError('E_INTERNAL', `internal error: ${(err as Error).message}`);
    parentPort!.postMessage({ ok: false, code: e.code, message: e.message, hint: e.hint });
  }
}
void render();
