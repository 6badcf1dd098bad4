/**
 * The version of this zpkg. The bundle (`npm run dist`) replaces
 * `__ZPKG_VERSION__` with the version it is built as; run from npm, zpkg is
 * package.json's version.
 */
declare const __ZPKG_VERSION__: string | undefined;
export const ZPKG_VERSION: string = typeof __ZPKG_VERSION__ === 'string' ? __ZPKG_VERSION__ : '0.1.0';
