/**
 * The bundle's entry (`app/zpkg.js`, started by the launcher): compiles the
 * bundled zpkg (`app/main.js`, one CommonJS file) with the V8 code cache that
 * `npm run dist` made for this very node (`app/main.js.cache`), so start-up
 * deserializes compiled code instead of parsing megabytes of JavaScript. A
 * cache V8 rejects (another node, other flags) only costs the parse.
 *
 * The whole of main.js is read here, at start-up: a zpkg that replaces its
 * own files (self-update) keeps running on the code it started with.
 *
 * `ZPKG_CODE_CACHE=write` (used by the build) writes the cache when the
 * command ends, covering every function that run compiled.
 */
'use strict';
const { readFileSync, writeFileSync, renameSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const Module = require('node:module');

if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '8';
const file = join(__dirname, 'main.js');
const cacheFile = `${file}.cache`;
const source = readFileSync(file, 'latin1');
let cachedData;
if (process.env.ZPKG_CODE_CACHE !== 'write') {
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
}
const script = new Script(Module.wrap(source), { filename: file, cachedData });
const mod = new Module(file, module);
mod.filename = file;
mod.paths = Module._nodeModulePaths(__dirname);
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, __dirname);
mod.loaded = true;
mod.exports.run(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  if (process.env.ZPKG_CODE_CACHE === 'write') {
    writeFileSync(`${cacheFile}.tmp`, script.createCachedData());
    renameSync(`${cacheFile}.tmp`, cacheFile);
  }
});
