/** Debian packages as zpkg packages. */
export { packageFromDeb, type DebOverrides, type DebPackage } from './package.js';
export { readDeb, type DebContents } from './read.js';
export { readTar, type TarEntry, type TarType } from './tar.js';
export { importDebs, type ImportDebOptions, type ImportDebResult, type ImportedDeb } from './import.js';
