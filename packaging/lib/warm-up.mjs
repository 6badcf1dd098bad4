/**
 * The V8 code caches of the bundle (packaging/loader.cjs), made by running the
 * bundled zpkg itself on throwaway data with `ZPKG_CODE_CACHE=write`.
 *
 * A cache covers the functions that ran in the process that wrote it, and a
 * function missing from it is compiled at every start of every command that
 * calls it; a function in it that a command never calls still costs that
 * command its deserialization. So `app/main.js.cache`, the one every command
 * reads, is written by `list` of an image with a package installed, and the
 * other commands whose start-up is measured (issue 15) get their own
 * (`app/main.js.COMMAND.cache`, packaging/loader.cjs): `refresh` with nothing
 * new (one 304 from an HTTP server, here in this process) and `install -n`
 * (the solver). undici's cache comes from a `refresh` through a proxy that
 * refuses the connection (undici's request path runs, the command fails, as
 * meant: a refresh without a proxy asks through node:http and never loads
 * undici).
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

/**
 * Runs zpkg — `run.command` with its leading arguments, in `run.env` — on
 * `args`; resolves with its exit status, rejects when `mustPass` and it failed.
 */
function zpkg(run, args, env, mustPass = true) {
  return new Promise((resolve, reject) => {
    const [exe, ...lead] = run.command;
    const child = spawn(exe, [...lead, ...args], { env: { ...run.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || !mustPass ? resolve(code) : reject(new Error(`warm-up: zpkg ${args.join(' ')} failed (exit ${code}): ${stderr.trim().slice(-2000)}`))));
  });
}

/**
 * A static file server with the validators nginx gives (ETag, Last-Modified)
 * and its 304, so that the warm-up `refresh` takes the path of one answered by
 * nginx. Loopback only.
 */
function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    let st;
    try {
      st = statSync(join(dir, path));
    } catch {
      st = undefined;
    }
    if (!st?.isFile() || path.includes('..')) return void res.writeHead(404).end();
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const headers = { etag, 'last-modified': st.mtime.toUTCString(), 'content-length': st.size };
    if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
    res.writeHead(200, headers);
    createReadStream(join(dir, path)).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Writes the code caches of the zpkg that `run.command` starts (the bundle's
 * launcher, or node with the npm package's bin/zpkg.js: V8 takes a cache only
 * from a process with the same flags), in the environment `run.env`; work
 * files under `scratch`.
 */
export async function warmCodeCaches(run, scratch) {
  rmSync(scratch, { recursive: true, force: true });
  const repo = join(scratch, 'repo');
  const image = join(scratch, 'image');
  // `warm` is installed, for `list`; `warm-dep`, which needs it, is not, for the solver of `install -n`.
  const srcs = [
    ['warm', ''],
    ['warm-dep', 'depends: [warm]\n'],
  ].map(([name, more]) => {
    const src = join(scratch, 'src', name);
    mkdirSync(join(src, 'root/usr/share', name), { recursive: true });
    writeFileSync(join(src, 'zpkg.yaml'), `name: ${name}\nversion: "1.0"\nsummary: warm-up package\nowner: root\ngroup: root\nroot: root\n${more}`);
    writeFileSync(join(src, 'root/usr/share', name, 'f'), `${name}\n`);
    return src;
  });
  await zpkg(run, ['repo', 'create', repo], {});
  await zpkg(run, ['build', ...srcs, '--repo', repo], {});
  const server = await serveStatic(scratch);
  try {
    const url = `http://127.0.0.1:${server.address().port}/repo`;
    await zpkg(run, ['--root', image, 'remote', 'add', 'warm', url, '--insecure'], {});
    await zpkg(run, ['--root', image, 'refresh'], {});
    await zpkg(run, ['--root', image, 'install', '--unsafe-io', 'warm'], {});
    await zpkg(run, ['--root', image, 'list'], { ZPKG_CODE_CACHE: 'write' });
    await zpkg(run, ['--root', image, 'refresh'], { ZPKG_CODE_CACHE: 'write-command' });
    await zpkg(run, ['--root', image, 'install', '-n', 'warm-dep'], { ZPKG_CODE_CACHE: 'write-command' });
    await zpkg(run, ['--root', image, 'refresh'], { ZPKG_CODE_CACHE: 'write', http_proxy: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' }, false);
  } finally {
    server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
