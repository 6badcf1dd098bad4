/** The static web catalogue of a repository (`zpkg repo site`, and the pages `zpkg serve` serves). */
export { renderSite, type SiteOptions, type SiteResult } from './render.js';
export { errorPage, type ErrorPageInput } from './pages/error.js';
export { SITE_RECORD } from './write.js';
