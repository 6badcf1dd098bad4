/**
 * The JavaScript of the bundle: zpkg and its npm dependencies in one
 * CommonJS file (`app/main.js`, started by `app/zpkg.js`, packaging/loader.cjs)
 * plus the staging worker (`app/stage-worker.js`, the file `txn/stage.ts`
 * starts by URL beside it), built by esbuild from src/.
 *
 * CommonJS rather than an ES module: V8 compiles a script lazily and can
 * take a code cache for it (the loader), while a 3 MB module costs its whole
 * parse at every start. Modules a command imports dynamically stay lazy in
 * the one file (esbuild wraps them in init functions), so `zpkg list`
 * evaluates neither the S3 SDK nor fastify nor undici although they are in it.
 * `import.meta.url` becomes the file's own URL.
 *
 * Native add-ons cannot be bundled: each is copied to `app/addons/NAME.node`
 * and the module that loads it is replaced by one line that requires that
 * file (ADDONS below); relative requires resolve beside the bundle's file.
 */
import { build } from 'esbuild';
import { join } from 'node:path';

/** npm package → its add-on, and the module of that package that loads it. */
export const ADDONS = [
  { pkg: 'better-sqlite3', file: 'build/Release/better_sqlite3.node', name: 'better_sqlite3.node', loader: /[\\/]node_modules[\\/]bindings[\\/]bindings\.js$/, resolve: /^bindings$/ },
  { pkg: 'zstd-napi', file: 'build/Release/binding.node', name: 'zstd-napi.node', loader: /[\\/]node_modules[\\/]zstd-napi[\\/]binding\.js$/ },
  { pkg: '@antoniomuso/lz4-napi-linux-x64-gnu', file: 'lz4-napi.linux-x64-gnu.node', name: 'lz4-napi.node', loader: /[\\/]node_modules[\\/]lz4-napi[\\/]index\.js$/ },
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
 * Builds `outDir/main.js` and `outDir/stage-worker.js`; returns esbuild's
 * metafile (what each output holds) and its warnings.
 */
export async function bundleJs({ repoRoot, outDir, version }) {
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { main: join(repoRoot, 'packaging/entry.ts'), 'stage-worker': join(repoRoot, 'src/txn/stage-worker.ts') },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    // `import()` of Node's own modules becomes a require: a script the loader compiles has no module loader behind it.
    supported: { 'dynamic-import': false },
    target: 'node20',
    banner: { js: BANNER },
    define: { __ZPKG_VERSION__: JSON.stringify(version), 'import.meta.url': '__zpkgUrl' },
    external: ['*.node'],
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'external',
    plugins: [addonsPlugin],
    metafile: true,
    logLevel: 'silent',
  });
  return { metafile: result.metafile, warnings: result.warnings };
}
