// A static server of a repository directory that misbehaves on purpose, on loopback:
//   FAIL_FIRST=N    the first N requests are answered 503
//   CUT=BYTES       the first GET of each file larger than BYTES sends half the body, then drops the connection
// Supports single byte ranges and ETag / If-None-Match. Logs one JSON line per request to LOG.
// Prints {"port":N} once listening.
import { createServer } from 'node:http';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let failFirst = Number(process.env.FAIL_FIRST ?? 0);
const cut = Number(process.env.CUT ?? 0);
const log = process.env.LOG;
const cutDone = new Set();

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
  let status = 0;
  const done = (s) => {
    status = s;
    if (log) appendFileSync(log, `${JSON.stringify({ method: req.method, path, range: req.headers.range ?? null, status })}\n`);
  };
  if (failFirst > 0) {
    failFirst -= 1;
    done(503);
    res.writeHead(503).end('try later');
    return;
  }
  let st;
  try {
    st = statSync(join(dir, path));
    if (!st.isFile() || path.includes('..')) throw new Error();
  } catch {
    done(404);
    res.writeHead(404).end();
    return;
  }
  const etag = `"${st.size}-${Math.floor(st.mtimeMs)}"`;
  if (req.headers['if-none-match'] === etag) {
    done(304);
    res.writeHead(304, { etag }).end();
    return;
  }
  const body = readFileSync(join(dir, path));
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  if (m) {
    const start = Number(m[1]);
    if (start >= body.length) {
      done(416);
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    done(206);
    res.writeHead(206, { etag, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, 'content-length': body.length - start }).end(body.subarray(start));
    return;
  }
  if (cut > 0 && body.length > cut && !cutDone.has(path)) {
    cutDone.add(path);
    done(200);
    res.writeHead(200, { etag, 'content-length': body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => res.socket.destroy(), 20));
    return;
  }
  done(200);
  res.writeHead(200, { etag, 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => process.exit(0));
