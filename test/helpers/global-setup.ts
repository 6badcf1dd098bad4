// CLI tests run the real `bin/zpkg.js`, which loads the compiled dist/: build it once (incremental),
// then the app it starts (dist/app, packaging/app.mjs; reused when its inputs are unchanged).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [`${root}/node_modules/typescript/bin/tsc`, '-p', `${root}/tsconfig.json`], { stdio: 'inherit', cwd: root });
  execFileSync(process.execPath, [`${root}/packaging/app.mjs`], { stdio: 'inherit', cwd: root });
}
