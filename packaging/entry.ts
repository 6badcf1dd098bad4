/**
 * What the bundle's main.js exports to its loader (packaging/loader.cjs): the
 * command line, as `bin/zpkg.js` runs it for the npm package.
 */
import { main } from '../src/cli/main.js';

export function run(argv: string[]): Promise<number> {
  return main(argv);
}
