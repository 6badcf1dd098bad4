// A static server of a repository directory that misbehaves on purpose, on loopback:
//   FAIL_FIRST=N    the first N requests are answered 503
//   CUT=BYTES       the first GET of each file whose answer is larger than BYTES sends half the body, then drops the connection
//   IGNORE_RANGE=1  answers every GET with the whole file (200), as a server without range support does
//   DELAY_MS=N      every answer waits N ms (a long round trip); the log's `inflight` counts requests being answered
//   HOLD=DIR        the first GET of each packs/ file sends half its answer, then holds the rest until a file whose
//                   name holds `.zpkg-` (a staged file) appears under DIR (HOLD_UNTIL=staged, the default), or only
//                   until the client goes away (HOLD_UNTIL=closed); at most 30 s. Then it sends the rest, or, with
//                   HOLD_THEN=drop, drops the connection and answers 404 to that path from then on. Logs
//                   {"hold": path, "released": "staged"|"closed"|"timeout", "length": the answer's length}.
//   PACE_MS=N       a GET answer of more than 64 KiB is sent 64 KiB at a time, one piece every N ms, so what a client
//                   that stops reading early was sent does not depend on the kernel's buffers; logs
//                   {"paced": path, "sent": bytes, "length": the answer's length} once it ends or the client leaves.
//   ENDLESS=REGEX   a GET of a path matching REGEX is answered 200 with bytes that never end (chunked, no
//                   Content-Length) until the client goes away; HUGE=REGEX likewise, but declaring a
//                   Content-Length of 1 TiB; ENDLESS_PART=REGEX answers a Range request for such a path with
//                   multipart/byteranges whose one part (bytes past the end of any file) never ends.
//                   Logs {"endless"|"huge"|"part": path, "sent": bytes} once the client left.
// Supports byte ranges (one: a plain 206; several: multipart/byteranges) and ETag / If-None-Match.
// Logs one JSON line per request to LOG.
// Prints {"port":N} once listening.
import { createServer } from 'node:http';
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
let failFirst = Number(process.env.FAIL_FIRST ?? 0);
const cut = Number(process.env.CUT ?? 0);
const ignoreRange = process.env.IGNORE_RANGE === '1';
const log = process.env.LOG;
const cutDone = new Set();
const delayMs = Number(process.env.DELAY_MS ?? 0);
const hold = process.env.HOLD;
const holdUntil = process.env.HOLD_UNTIL ?? 'staged';
const holdThen = process.env.HOLD_THEN ?? 'send';
const held = new Set();
const endless = process.env.ENDLESS ? new RegExp(process.env.ENDLESS) : undefined;
const huge = process.env.HUGE ? new RegExp(process.env.HUGE) : undefined;
const endlessPart = process.env.ENDLESS_PART ? new RegExp(process.env.ENDLESS_PART) : undefined;
const dropped = new Set();
const paceMs = Number(process.env.PACE_MS ?? 0);
const PIECE = 1 << 16;
let inflight = 0;

function stagedUnder(dir) {
  try {
    return readdirSync(dir, { recursive: true }).some((n) => String(n).includes('.zpkg-'));
  } catch {
    return false;
  }
}

/** Sends half of OUT, then the rest (or drops) once staging shows under HOLD, the client leaves, or 30 s pass. */
function holdBack(res, path, headers, out, status) {
  held.add(path);
  res.writeHead(status, headers);
  res.write(out.subarray(0, Math.floor(out.length / 2)));
  const started = Date.now();
  let closed = false;
  res.on('close', () => (closed = true));
  const poll = setInterval(() => {
    const released = closed ? 'closed' : holdUntil === 'staged' && stagedUnder(hold) ? 'staged' : Date.now() - started > 30_000 ? 'timeout' : undefined;
    if (!released) return;
    clearInterval(poll);
    if (log) appendFileSync(log, `${JSON.stringify({ hold: path, released, length: out.length })}\n`);
    if (closed) return;
    if (holdThen === 'drop') {
      dropped.add(path);
      res.socket.destroy();
      return;
    }
    res.end(out.subarray(Math.floor(out.length / 2)));
  }, 20);
}

/** Sends OUT a PIECE every PACE_MS; logs how much was sent once done or the client left. */
function sendPaced(res, path, out) {
  let sent = 0;
  let logged = false;
  const report = () => {
    if (logged) return;
    logged = true;
    if (log) appendFileSync(log, `${JSON.stringify({ paced: path, sent, length: out.length })}\n`);
  };
  res.on('close', report);
  const next = () => {
    if (res.destroyed) return report();
    const piece = out.subarray(sent, sent + PIECE);
    sent += piece.length;
    if (sent >= out.length) return res.end(piece, report);
    res.write(piece);
    setTimeout(next, paceMs);
  };
  next();
}

/** Bytes (`{`, so a JSON parser reads on) until the client goes away; then logs how many were sent. */
function sendWithoutEnd(res, path, kind) {
  if (kind === 'part') {
    res.writeHead(206, { 'content-type': 'multipart/byteranges; boundary=zpkgflakyboundary' });
    res.write(`--zpkgflakyboundary\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes ${2 ** 40}-${2 ** 51}/*\r\n\r\n`);
  } else res.writeHead(200, kind === 'huge' ? { 'content-length': String(2 ** 40) } : {});
  const chunk = Buffer.alloc(1 << 16, 0x7b);
  let sent = 0;
  let gone = false;
  res.on('close', () => {
    gone = true;
    if (log) appendFileSync(log, `${JSON.stringify({ [kind]: path, sent })}\n`);
  });
  const more = () => {
    while (!gone) {
      sent += chunk.length;
      if (!res.write(chunk)) return res.once('drain', more);
    }
  };
  more();
}

const server = createServer((req, res) => {
  if (!delayMs) return answer(req, res, 1);
  inflight += 1;
  const seen = inflight;
  setTimeout(() => {
    inflight -= 1;
    answer(req, res, seen);
  }, delayMs);
});

function answer(req, res, seen) {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '');
  let status = 0;
  const done = (s) => {
    status = s;
    if (log) appendFileSync(log, `${JSON.stringify({ method: req.method, path, range: req.headers.range ?? null, status, inflight: seen })}\n`);
  };
  const without = req.method === 'GET' && (endless?.test(path) ? 'endless' : huge?.test(path) ? 'huge' : req.headers.range && endlessPart?.test(path) ? 'part' : undefined);
  if (without) {
    done(200);
    sendWithoutEnd(res, path, without);
    return;
  }
  if (failFirst > 0) {
    failFirst -= 1;
    done(503);
    res.writeHead(503).end('try later');
    return;
  }
  let st;
  try {
    if (dropped.has(path)) throw new Error('dropped');
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
  let status200 = 200;
  let headers = { etag, 'content-length': body.length };
  let out = body;
  const spec = ignoreRange ? undefined : /^bytes=(.+)$/.exec(req.headers.range ?? '')?.[1];
  if (spec) {
    const ranges = [];
    for (const part of spec.split(',')) {
      const m = /^\s*(\d*)-(\d*)\s*$/.exec(part);
      if (!m) continue;
      let start = m[1] === '' ? Math.max(0, body.length - Number(m[2])) : Number(m[1]);
      let end = m[1] === '' || m[2] === '' ? body.length - 1 : Math.min(Number(m[2]), body.length - 1);
      if (start < body.length && start <= end) ranges.push([start, end]);
    }
    if (!ranges.length) {
      done(416);
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    status200 = 206;
    if (ranges.length === 1) {
      const [a, b] = ranges[0];
      out = body.subarray(a, b + 1);
      headers = { etag, 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': out.length };
    } else {
      const boundary = 'zpkgflakyboundary';
      const parts = [];
      ranges.forEach(([a, b], i) => {
        parts.push(Buffer.from(`${i ? '\r\n' : ''}--${boundary}\r\nContent-Type: application/octet-stream\r\nContent-Range: bytes ${a}-${b}/${body.length}\r\n\r\n`));
        parts.push(body.subarray(a, b + 1));
      });
      parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
      out = Buffer.concat(parts);
      headers = { etag, 'content-type': `multipart/byteranges; boundary=${boundary}`, 'content-length': out.length };
    }
  }
  if (hold && req.method === 'GET' && path.startsWith('packs/') && !held.has(path)) {
    done(status200);
    holdBack(res, path, headers, out, status200);
    return;
  }
  if (cut > 0 && out.length > cut && !cutDone.has(path)) {
    cutDone.add(path);
    done(status200);
    res.writeHead(status200, headers);
    res.write(out.subarray(0, Math.floor(out.length / 2)), () => setTimeout(() => res.socket.destroy(), 20));
    return;
  }
  done(status200);
  if (paceMs > 0 && req.method === 'GET' && out.length > PIECE) {
    res.writeHead(status200, headers);
    sendPaced(res, path, out);
    return;
  }
  res.writeHead(status200, headers).end(req.method === 'HEAD' ? undefined : out);
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => process.exit(0));
