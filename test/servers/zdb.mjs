// A model of 0-db (zdbd) for tests: 0-db is not packaged in Debian, so this
// speaks the part of its RESP protocol rfs's zdb store uses, written from
// threefoldtech/0-db (commit 1630159) and citing it:
//
//   requests    only arrays of bulk strings (zdbd/redis.c redis_handle_resp_empty:
//               "-Malformed request, array expected" then disconnect;
//               redis_handle_resp_header: "-Malformed query string"; an argument over
//               REDIS_MAX_PAYLOAD = 8 MiB (redis.h): "-Payload too big", disconnect)
//   PING        "+PONG" (commands_system.c command_ping)
//   SELECT      SELECT ns [password] (commands_namespace.c command_select): "-Namespace not
//               found"; a namespace with a password: without one, read-only when public,
//               else "-Namespace protected and private"; a wrong one "-Access denied";
//               then "+OK". SECURE challenges are not modelled ("-No CHALLENGE requested,
//               secure authentication not available", as zdbd answers without a nonce)
//   GET         commands_get.c command_get: exactly 2 arguments ("-Unexpected arguments",
//               empty: "-Invalid argument"), key ≤ MAX_KEY_LENGTH = 255 ("-Invalid key",
//               libzdb/index.h), "$-1" when absent, else the value
//   EXISTS      commands_dataset.c command_exists: ":1" / ":0"
//   SET         commands_set.c command_set + redis_set_handler_userkey: 3 arguments (4, a
//               timestamp, for admins only: "-Permission denied"), "-Key too large",
//               "-Namespace is in read-only mode", an empty key "-Invalid argument, key
//               needed", "$-1" when the value is unchanged, else the key as a bulk string
//   INFO        a bulk text starting "# server\nserver_name: 0-db (zdb)" (command_info)
//   other       "-Command not supported" (commands.c redis_dispatcher)
//
// Every connection starts in the `default` namespace, writable (redis.c: "by default,
// the default namespace is writable"). Namespaces are user-key mode, kept in memory.
//
// Usage: node zdb.mjs '{"namespaces":{"ns":{"password":"pw","public":false}},"log":"FILE","socket":"PATH"}'
// Prints {"port":N} once listening on 127.0.0.1. LOG gets one JSON line per command:
// {"conn","ns","cmd","args":[hex…]} (arguments over 64 bytes are shortened to their length).
import { appendFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const config = JSON.parse(process.argv[2] ?? '{}');
const MAX_PAYLOAD = 8 * 1024 * 1024;
const MAX_KEY = 255;
const NS_MAX = 128;
const namespaces = new Map([['default', { password: undefined, public: true, data: new Map() }]]);
for (const [name, ns] of Object.entries(config.namespaces ?? {})) {
  namespaces.set(name, { password: ns.password, public: ns.public ?? true, data: new Map() });
}

const bulk = (buf) => Buffer.concat([Buffer.from(`$${buf.length}\r\n`), buf, Buffer.from('\r\n')]);
const line = (s) => Buffer.from(`${s}\r\n`);
let connections = 0;

function log(entry) {
  if (config.log) appendFileSync(config.log, `${JSON.stringify(entry)}\n`);
}

function execute(client, argv) {
  const cmd = argv[0].toString('latin1').toUpperCase();
  const args = argv.slice(1);
  log({ conn: client.id, ns: client.ns, cmd, args: args.map((a) => (a.length > 64 ? `<${a.length} bytes>` : a.toString('hex'))) });
  const ns = namespaces.get(client.ns);
  const validate = (n) => {
    if (argv.length !== n) return line('-Unexpected arguments');
    if (argv.some((a) => a.length === 0)) return line('-Invalid argument');
    return undefined;
  };
  switch (cmd) {
    case 'PING':
      return line('+PONG');
    case 'INFO':
      return bulk(Buffer.from('# server\nserver_name: 0-db (zdb)\nserver_revision: model\n'));
    case 'SELECT': {
      if (argv.length < 2) return line('-Invalid argument');
      if (argv[1].length > NS_MAX) return line('-Namespace too long');
      const name = argv[1].toString('utf8');
      const target = namespaces.get(name);
      if (!target) return line('-Namespace not found');
      let writable = true;
      if (target.password !== undefined) {
        if (argv.length < 3) {
          if (!target.public) return line('-Namespace protected and private');
          writable = false;
        } else {
          if (argv.length > 4) return line('-Too many arguments');
          if (argv.length === 4) return line('-No CHALLENGE requested, secure authentication not available');
          if (argv[2].length > 255) return line('-Password too long');
          if (argv[2].toString('utf8') !== target.password) return line('-Access denied');
        }
      }
      client.ns = name;
      client.writable = writable;
      return line('+OK');
    }
    case 'GET': {
      const bad = validate(2);
      if (bad) return bad;
      if (args[0].length > MAX_KEY) return line('-Invalid key');
      const v = ns.data.get(args[0].toString('hex'));
      return v === undefined ? line('$-1') : bulk(v);
    }
    case 'EXISTS': {
      const bad = validate(2);
      if (bad) return bad;
      if (args[0].length > MAX_KEY) return line('-Invalid key');
      return line(`:${ns.data.has(args[0].toString('hex')) ? 1 : 0}`);
    }
    case 'SET': {
      if (argv.length === 4) return line('-Permission denied'); // the model has an admin password: no client is admin
      if (argv.length !== 3) return line('-Unexpected arguments');
      if (args[0].length > MAX_KEY) return line('-Key too large');
      if (!client.writable) return line('-Namespace is in read-only mode');
      if (args[0].length === 0) return line('-Invalid argument, key needed');
      const k = args[0].toString('hex');
      const have = ns.data.get(k);
      if (have !== undefined && have.equals(args[1])) return line('$-1');
      ns.data.set(k, Buffer.from(args[1]));
      return bulk(args[0]);
    }
    default:
      return line('-Command not supported');
  }
}

/** Parses whole requests off the front of `buf`; returns [requests, rest] or throws a discard message. */
function parse(buf) {
  const requests = [];
  let pos = 0;
  for (;;) {
    if (pos >= buf.length) break;
    if (buf[pos] !== 0x2a) throw new Error('Malformed request, array expected');
    const nl = buf.indexOf('\n', pos);
    if (nl < 0) break;
    const argc = parseInt(buf.subarray(pos + 1, nl).toString(), 10);
    if (!(argc > 0)) throw new Error('Missing arguments');
    if (argc > 1024) throw new Error('Too many arguments');
    let p = nl + 1;
    const argv = [];
    let complete = true;
    for (let i = 0; i < argc; i++) {
      if (p >= buf.length) {
        complete = false;
        break;
      }
      if (buf[p] !== 0x24) throw new Error('Malformed query string');
      const e = buf.indexOf('\n', p);
      if (e < 0) {
        complete = false;
        break;
      }
      const len = parseInt(buf.subarray(p + 1, e).toString(), 10);
      if (len > MAX_PAYLOAD) throw new Error('Payload too big');
      if (e + 1 + len + 2 > buf.length) {
        complete = false;
        break;
      }
      argv.push(buf.subarray(e + 1, e + 1 + len));
      p = e + 1 + len + 2;
    }
    if (!complete) break;
    requests.push(argv);
    pos = p;
  }
  return [requests, buf.subarray(pos)];
}

const server = createServer((socket) => {
  const client = { id: ++connections, ns: 'default', writable: true };
  let pending = Buffer.alloc(0);
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    let requests;
    try {
      [requests, pending] = parse(pending);
    } catch (err) {
      socket.end(line(`-${err.message}`));
      return;
    }
    for (const argv of requests) socket.write(execute(client, argv));
  });
  socket.on('error', () => {});
});

if (config.socket) {
  rmSync(config.socket, { force: true });
  const unix = createServer(server.listeners('connection')[0]);
  unix.listen(config.socket);
}
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
