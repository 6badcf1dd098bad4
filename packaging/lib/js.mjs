/**
 * The JavaScript of the bundle: zpkg and its npm dependencies in one
 * CommonJS file (`app/main.js`, started by `app/zpkg.js`, packaging/loader.cjs)
 * plus each worker thread's module beside it (`app/NAME-worker.js`, which
 * the code starts by URL), built by esbuild from src/.
 *
 * CommonJS rather than an ES module: V8 compiles a script lazily and can
 * take a code cache for it (the loader), while a 3 MB module costs its whole
 * parse at every start. Modules a command imports dynamically stay lazy in
 * the one file (esbuild wraps them in init functions), so `zpkg list`
 * evaluates neither the S3 SDK nor fastify nor undici although they are in it.
 * `import.meta.url` becomes the file's own URL.
 *
 * The three large dependencies only some commands use — undici (http
 * remotes), the S3 SDK (s3:// remotes) and fastify (`serve`), 2.6 of main.js's
 * 3.4 MB — are each bundled into a file of their own (`app/lazy/NAME.js`),
 * loaded through `app/node_modules/NAME/index.js` when first required, with a
 * code cache of their own: every command reads, decodes and deserializes only
 * what it can run.
 *
 * Native add-ons cannot be bundled: each is copied to `app/addons/NAME.node`
 * and the module that loads it is replaced by one line that requires that
 * file (ADDONS below); relative requires resolve beside the bundle's file.
 */
import { build } from 'esbuild';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

/** npm package → its add-on, and the module of that package that loads it. */
export const ADDONS = [
  { pkg: 'better-sqlite3', file: 'build/Release/better_sqlite3.node', name: 'better_sqlite3.node', loader: /[\\/]node_modules[\\/]bindings[\\/]bindings\.js$/, resolve: /^bindings$/ },
  { pkg: 'zstd-napi', file: 'build/Release/binding.node', name: 'zstd-napi.node', loader: /[\\/]node_modules[\\/]zstd-napi[\\/]binding\.js$/ },
  { pkg: '@napi-rs/snappy-linux-x64-gnu', file: 'snappy.linux-x64-gnu.node', name: 'snappy.node', loader: /[\\/]node_modules[\\/]snappy[\\/]index\.js$/ },
];

/**
 * Every worker thread's module (`src/**\/NAME-worker.ts`) becomes `app/NAME-worker.js`
 * beside main.js: each is started as `new URL('./NAME-worker.js', import.meta.url)`,
 * and in the bundle import.meta.url is main.js's.
 */
function workerEntries(repoRoot) {
  const out = {};
  for (const f of readdirSync(join(repoRoot, 'src'), { recursive: true })) {
    const m = /(?:^|[\\/])([a-z0-9-]+-worker)\.ts$/.exec(String(f));
    if (m) out[m[1]] = join(repoRoot, 'src', String(f));
  }
  return out;
}

/**
 * npm packages bundled apart (see above): the import specifier zpkg uses → the
 * file under app/lazy/, built from `entry` (default: the package itself).
 */
export const LAZY = [
  // Only the part of undici zpkg uses (packaging/undici-entry.cjs).
  { pkg: 'undici', file: 'undici.js', entry: 'packaging/undici-entry.cjs' },
  { pkg: '@aws-sdk/client-s3', file: 'aws-sdk-client-s3.js' },
  { pkg: 'fastify', file: 'fastify.js' },
  // Graphviz as WebAssembly (base64 inside its JS, ~1.4 MB): only `repo site` and `serve` lay out graphs.
  { pkg: '@viz-js/viz', file: 'viz.js' },
  // RESP for zdb flist stores: only import-flist/export-flist with a zdb:// store.
  { pkg: 'ioredis', file: 'ioredis.js' },
  // BLAKE2b as WebAssembly (hash-wasm carries every hasher's, ~230 kB of main.js otherwise): only flist block stores.
  { pkg: 'hash-wasm', file: 'hash-wasm.js' },
  // YAML: recipes, zinit service files and an image's zpkg.yaml, when there is one (src/fs/yaml.ts).
  { pkg: 'yaml', file: 'yaml.js' },
];

const BANNER = "var __zpkgUrl = require('node:url').pathToFileURL(__filename).href;";

/** Replaces each add-on loader with a require of the copied add-on. */
const addonsPlugin = {
  name: 'zpkg-addons',
  setup(b) {
    // better-sqlite3 asks `bindings` for its add-on by file name.
    b.onResolve({ filter: /^bindings$/ }, () => ({ path: 'bindings', namespace: 'zpkg-addon' }));
    b.onLoad({ filter: /^bindings$/, namespace: 'zpkg-addon' }, () => ({ contents: "module.exports = () => require('./addons/better_sqlite3.node');", loader: 'js' }));
    for (const a of ADDONS.filter((x) => !x.resolve)) {
      b.onLoad({ filter: a.loader }, () => ({ contents: `module.exports = require('./addons/${a.name}');`, loader: 'js' }));
    }
  },
};

/**
 * Modules whose loading costs every command's start-up although their exports
 * are only called later, by some commands: commander requires
 * `node:child_process` (net, dgram, the streams: ~25 ms with the bundle's
 * node) for the executable subcommands zpkg never uses; zstd-napi brings its
 * add-on, assert and stream, while `refresh` with nothing new decompresses
 * nothing; node:crypto and node:fs/promises (below). Each import of one becomes a stand-in that requires the real module
 * at the first read of one of its exports: the importers only read them
 * (`childProcess.spawn(…)`, `compress(…)`, `binding.DCtx`).
 */
const DEFERRED = [
  { filter: /^(node:)?child_process$/, importer: /[\\/]node_modules[\\/]commander[\\/]/, real: 'node:child_process' },
  // node:crypto brings its ciphers, keys and streams (~9 ms beyond the streams
  // themselves); `list` and a `refresh` with nothing new hash nothing.
  { filter: /^(node:)?crypto$/, importer: /[\\/]src[\\/]/, real: 'node:crypto' },
  // node:fs/promises brings readline (FileHandle.readLines), ~6 ms; the commands that read nothing asynchronously never call it.
  { filter: /^(node:)?fs\/promises$/, importer: /[\\/]src[\\/]/, real: 'node:fs/promises' },
  { filter: /^zstd-napi$/, importer: /[\\/]src[\\/]/, real: 'zstd-napi/dist/index.js' },
  { filter: /^zstd-napi\/binding\.js$/, importer: /[\\/]src[\\/]/, real: 'zstd-napi/binding.js?real' },
];

/**
 * The stand-in: an object with a getter per export of the real module (its
 * names read here, at build time, by requiring it): esbuild's ES-module interop
 * copies an imported CommonJS module's own keys, so a named import must find
 * them without the module being loaded.
 */
function standIn(d) {
  const keys = Object.keys(createRequire(import.meta.url)(d.real.replace(/\?real$/, '')));
  return [
    `let m; const real = () => (m ??= require(${JSON.stringify(d.real)}));`,
    `for (const k of ${JSON.stringify(keys)}) Object.defineProperty(module.exports, k, { enumerable: true, get: () => real()[k] });`,
  ].join('\n');
}

const deferredPlugin = {
  name: 'zpkg-deferred',
  setup(b) {
    DEFERRED.forEach((d, i) => {
      b.onResolve({ filter: d.filter }, (args) => (d.importer.test(args.importer) ? { path: String(i), namespace: 'zpkg-deferred', pluginData: { resolveDir: args.resolveDir } } : undefined));
    });
    // The real binding.js (it is replaced by the add-on's require, addonsPlugin) under a name the stand-in's filter does not catch.
    b.onResolve({ filter: /^zstd-napi\/binding\.js\?real$/ }, async (args) => b.resolve('zstd-napi/binding.js', { resolveDir: args.resolveDir, kind: args.kind }));
    b.onLoad({ filter: /.*/, namespace: 'zpkg-deferred' }, (args) => ({
      contents: standIn(DEFERRED[Number(args.path)]),
      loader: 'js',
      resolveDir: args.pluginData.resolveDir,
    }));
  },
};

const COMMON = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'external',
  metafile: true,
  logLevel: 'silent',
};

/**
 * Builds `outDir/main.js`, `outDir/NAME-worker.js` (every worker) and `outDir/lazy/*.js`
 * with their `outDir/node_modules/PKG/index.js`; returns esbuild's metafiles
 * (what each output holds; `inputs` of all builds merged) and its warnings.
 */
export async function bundleJs({ repoRoot, outDir, version }) {
  const lazy = await Promise.all(
    LAZY.map((l) => build({ ...COMMON, absWorkingDir: repoRoot, entryPoints: [l.entry ? join(repoRoot, l.entry) : l.pkg], outfile: join(outDir, 'lazy', l.file), supported: { 'dynamic-import': false }, banner: { js: BANNER }, define: { 'import.meta.url': '__zpkgUrl' } })),
  );
  for (const l of LAZY) {
    const dir = join(outDir, 'node_modules', l.pkg);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: l.pkg, main: 'index.js' })}\n`);
    // The loader (app/zpkg.js) is the main module, so this require returns it, and it compiles the file with its code cache.
    const up = relative(dir, outDir);
    writeFileSync(join(dir, 'index.js'), `module.exports = require('${up}/zpkg.js').load(require('node:path').join(__dirname, '${up}/lazy/${l.file}'), module);\n`);
  }
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { main: join(repoRoot, 'packaging/entry.ts'), ...workerEntries(repoRoot) },
    ...COMMON,
    // Short local names: main.js 1.27 → 0.93 MB, and every command reads,
    // decodes and compiles all of it (~6 ms at start-up on this machine).
    // Stack traces of the bundle name minified functions; messages are unchanged.
    minifyIdentifiers: true,
    outdir: outDir,
    // `import()` of Node's own modules becomes a require: a script the loader compiles has no module loader behind it.
    supported: { 'dynamic-import': false },
    banner: { js: BANNER },
    define: { __ZPKG_VERSION__: JSON.stringify(version), 'import.meta.url': '__zpkgUrl' },
    external: ['*.node', ...LAZY.map((l) => l.pkg)],
    plugins: [addonsPlugin, deferredPlugin],
  });
  const all = [result, ...lazy];
  for (const file of Object.keys(Object.assign({}, ...all.map((r) => r.metafile.outputs)))) if (file.endsWith('.js')) asciiOnly(join(repoRoot, file));
  return { metafile: { inputs: Object.assign({}, ...all.map((r) => r.metafile.inputs)), outputs: Object.assign({}, ...all.map((r) => r.metafile.outputs)) }, warnings: all.flatMap((r) => r.warnings) };
}

/**
 * The app a loader starts, in `outDir`: bundleJs's files without esbuild's
 * licence extracts, `zpkg.js` (packaging/loader.cjs with `version` filled in)
 * and a package.json that makes the directory CommonJS. The zos bundle
 * (packaging/dist.mjs) and the npm package's app (packaging/app.mjs) are both
 * made by it; returns bundleJs's answer.
 */
export async function writeApp({ repoRoot, outDir, version }) {
  const bundled = await bundleJs({ repoRoot, outDir, version });
  for (const f of readdirSync(outDir, { recursive: true })) if (String(f).endsWith('.LEGAL.txt')) rmSync(join(outDir, String(f)));
  const loader = readFileSync(join(repoRoot, 'packaging/loader.cjs'), 'utf8');
  if (!loader.includes('\nconst VERSION = null;\n')) throw new Error('packaging/loader.cjs: the line `const VERSION = null;` that the build fills in is missing');
  writeFileSync(join(outDir, 'zpkg.js'), loader.replace('\nconst VERSION = null;\n', `\nconst VERSION = ${JSON.stringify(version)};\n`));
  writeFileSync(join(outDir, 'package.json'), '{"type":"commonjs"}\n');
  return bundled;
}

/**
 * Rewrites a bundled file as pure ASCII, which the loader reads as latin1
 * (packaging/loader.cjs). esbuild escapes every non-ASCII character it can,
 * but not in a tagged template literal, whose raw text the tag may read: the
 * site's HTML templates (`h\`… — …\``) keep `—`, `→`, `…`. zpkg's tag reads
 * the cooked strings, on which `\uXXXX` is the same character; each UTF-16
 * unit is escaped, so astral characters become a valid surrogate pair. A
 * character after a lone backslash would change meaning: the build stops.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) return;
  const escaped = /(?<!\\)(?:\\\\)*\\[^\x00-\x7f]/.exec(text);
  if (escaped) throw new Error(`${file}: a non-ASCII character after a backslash at offset ${escaped.index}: cannot make it ASCII`);
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
