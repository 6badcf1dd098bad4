/** What `zpkg --version` prints (see core/zpkg-version.ts). */
export { ZPKG_VERSION as VERSION } from '../core/zpkg-version.js';
