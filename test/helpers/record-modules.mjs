/**
 * `node --import ./record-modules.mjs …`: appends the URL of every module the
 * process resolves through the ES module loader — zpkg's own files and the
 * npm packages they import — to the file named by ZPKG_TEST_MODULES, one a
 * line (test/start-up.test.ts). The hooks run on the loader's thread, which
 * writes the file itself (Node 20's `module.register`).
 */
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.ZPKG_TEST_MODULES, r.url + '\\n');
  return r;
}`)}`,
);
