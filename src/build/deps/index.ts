/** Dependency generation: relations derived from the ELF objects and scripts a package ships. */
export { ASSUMED_PATHS, deriveRelations, mergeRelations, type DeriveOptions, type DerivedRelations, type FileNeed } from './derive.js';
export { shebangInterpreter, scanFile, type Scanned } from './scan.js';
export { isBinDir, isLibDir, isLoader } from './places.js';
