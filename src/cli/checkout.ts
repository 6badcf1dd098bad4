/**
 * The checkout zpkg runs from (`npx zpkg` in a clone): the directory whose
 * `examples/` the demos build. Found by walking up from this module, which is
 * `dist/src/cli/checkout.js` under the ES modules and `dist/app/main.js` in the
 * npm package's app (packaging/app.mjs); the zos bundle has no checkout.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ZpkgError } from '../core/errors.js';

export function checkoutRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples'))) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new ZpkgError('E_NOT_FOUND', `no zpkg checkout (a package.json beside examples/) above ${start}`, { hint: 'the demos run from a clone of zpkg: `npm install && npx zpkg demo` there' });
}
