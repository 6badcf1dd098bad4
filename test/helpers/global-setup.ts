// CLI tests run the real `bin/zpkg.js`, which loads the compiled dist/: build it once (incremental),
// then the app it starts (dist/app, packaging/app.mjs; reused when its inputs are unchanged).
//
// Every temporary directory of the run (the tests' `tempDir`s, and those of the processes they
// start, which inherit TMPDIR) lies under one scratch directory that the teardown removes: a run
// leaves ~2 GB of images, repositories and trees behind otherwise. `ZPKG_KEEP_TMP=1` keeps it for a
// post-mortem, and the path is printed when it is kept.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): () => Promise<void> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.json`], { stdio: 'inherit', cwd: root });
  execFileSync(process.execPath, [`${root}/packaging/app.mjs`], { stdio: 'inherit', cwd: root });
  const scratch = mkdtempSync(join(tmpdir(), 'zpkg-suite-'));
  process.env.TMPDIR = scratch;
  return async () => {
    if (process.env.ZPKG_KEEP_TMP) console.log(`test scratch kept: ${scratch}`);
    else {
      // Removed without blocking vitest's process (a synchronous removal of the 2 GB held it while
      // its pool waited for forks to end: "Timeout terminating forks worker"). A daemon a test left
      // running may still write into it while it goes: retry, then say so instead of failing a run
      // whose tests passed.
      try {
        await rm(scratch, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
      } catch (e) {
        console.warn(`test scratch not removed: ${scratch}: ${(e as Error).message}`);
      }
    }
  };
}
