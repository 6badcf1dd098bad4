/** The bundle (`npm run dist`) replaces `__ZPKG_VERSION__` with its version; run from npm, zpkg reads as package.json's version. */
declare const __ZPKG_VERSION__: string | undefined;
export const VERSION: string = typeof __ZPKG_VERSION__ === 'string' ? __ZPKG_VERSION__ : '0.1.0';
