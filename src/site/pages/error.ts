/**
 * The page shown instead of a catalogue that cannot be rendered (a broken
 * catalog, a manifest that does not match its digest, a repository that is
 * not one): the error's code, message and hint, self-contained (inline style
 * only, no script), so it needs nothing else from the site to be read.
 */
import { h } from '../html.js';

export interface ErrorPageInput {
  code: string;
  message: string;
  hint?: string | undefined;
  location: string;
  /** ISO time of the failed attempt. */
  when: string;
}

export function errorPage(e: ErrorPageInput): string {
  return h`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>The catalogue cannot be shown</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:3rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}h1{font-size:1.5rem}code{font-family:ui-monospace,monospace;background:#f1f1f1;padding:0 .2em}.box{overflow-wrap:anywhere;border-left:4px solid #b3261e;padding:.5rem 1rem;background:#fdf1f0}@media (prefers-color-scheme:dark){body{color:#e8e8e8;background:#15171a}code{background:#2a2d31}.box{background:#2c1b1a}}</style></head>
<body><main><h1>The catalogue of this repository cannot be shown</h1>
<div class="box" role="alert"><p><strong>${e.code}</strong>: ${e.message}</p>${e.hint ? h`<p>Hint: ${e.hint}</p>` : ''}</div>
<p>Repository: <code>${e.location}</code>. Attempted at ${e.when}. The repository's own files are served unchanged; <code>zpkg repo verify</code> checks every one of them.</p>
</main></body></html>
`.html;
}
