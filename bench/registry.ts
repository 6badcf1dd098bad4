/**
 * The benchmark suites, in the order `npm run bench` runs them.
 * To add one: write `bench/<name>.ts` (or, split by phase, `bench/<name>/suite.ts`) exporting a `BenchSuite`, and append it here.
 */
import type { BenchSuite } from './suite.js';
import { bootSuite } from './boot.js';
import { depotSuite } from './depot.js';
import { flistSuite } from './flist.js';
import { installSuite } from './install/suite.js';
import { linkSuite } from './link.js';
import { manyFilesSuite } from './many-files.js';
import { remoteSuite } from './remote.js';
import { siteSuite } from './site.js';
import { solverSuite } from './solver/suite.js';
import { startupSuite } from './startup.js';
import { updateSuite } from './update.js';

export const suites: readonly BenchSuite[] = [installSuite, solverSuite, updateSuite, remoteSuite, depotSuite, flistSuite, bootSuite, startupSuite, siteSuite, linkSuite, manyFilesSuite];
