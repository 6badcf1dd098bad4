#!/usr/bin/env node
/**
 * A model of zinit v0.2.14 (the init of Zero-OS nodes), written from its
 * source (github.com/threefoldtech/zinit at tag v0.2.14), for the machines
 * where no zinit binary can be built (no Rust registry): the tests of zpkg's
 * zinit adapter and `zpkg demo --zos` run against it. Citations name the file
 * and lines of that tag; where the model departs from zinit the comment says
 * so and why.
 *
 * It runs real processes: every `exec:` and `test:` command is spawned in its
 * own process group (manager/mod.rs:176 `group_spawn`), chrooted into the
 * image (`--root`), with the image's /dev and /proc bind-mounted in a private
 * mount namespace of its own (a real node has them; nothing leaks to the host)
 * and `dir:` as its working directory (manager/mod.rs:160-164).
 *
 * Covered: the socket protocol (app/api.rs: one command line in, one JSON
 * reply `{"state","body"}` out, then the server closes); the commands list,
 * status, start, stop, forget, monitor, kill, log, shutdown, reboot; the
 * states Unknown / Blocked / Spawned / Running / Success / Error(WaitStatus) /
 * TestFailure / Failure and targets Up / Down (zinit/mod.rs:122-149); `after:`
 * blocking (mod.rs:444-475, a dependency is met by a Running non-oneshot or a
 * Success); `test:` commands retried every 2 s (mod.rs:477-525); oneshots
 * (Running while their process runs, then Success or Error, never restarted:
 * mod.rs:636-673); daemons respawned 2 s after they exit (mod.rs:674-675);
 * `forget` only when the target is Down and no process runs (mod.rs:398-417);
 * `stop` sending the configured stop signal to the process group and nothing
 * more (no SIGKILL: mod.rs:351-377); `kill NAME SIGNAL` (mod.rs:419-436);
 * error texts from ZInitError (mod.rs:32-44) as anyhow prints them (only the
 * outermost context: `failed to load service config` for any `monitor` of a
 * missing or bad file, api.rs:156-161); the service file format
 * (zinit/config.rs) and /etc/environment (manager/mod.rs:209-255).
 *
 * Not covered: the kernel side of `shutdown`/`reboot` (the model stops every
 * service in zinit's order, kills what is left and exits, as `--container`
 * mode does: mod.rs:315-349), log to stdout (`log: stdout` is kept in the
 * ring like `ring`), zinit's own /dev/kmsg logging.
 *
 * Usage: node scripts/zinit-model.mjs --socket PATH --config DIR [--root DIR]
 *          [--trace FILE]
 * Prints `ready` on stdout once the socket listens; `--trace` appends every
 * command line received, one per line. SIGTERM or SIGINT: shutdown.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, appendFileSync, constants as fsConstants, existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants as osConstants } from 'node:os';
import { basename, extname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** zinit/config.rs:10 */
const DEFAULT_SHUTDOWN_TIMEOUT = 10;
/** The pause before a daemon is spawned again, and between failed tests (mod.rs:491, 675). */
const RETRY_MS = 2000;
/** `--buffer` default (main.rs:41): lines kept by the log ring. */
const RING_LINES = 2000;
/** The environment the model's services inherit besides /etc/environment and `env:` (zinit passes its own, Rust's Command inherits it). */
const BASE_ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/' };

/**
 * Splits a command line into words as the Rust `shlex` crate (1.x, `split`)
 * does, which zinit uses for `exec:`/`test:` (manager/mod.rs:153) and for
 * socket commands (api.rs:103): POSIX-shell words — blanks separate, `'…'`
 * keeps everything, `"…"` keeps everything but `\` before `$ \` " \` and
 * newline, `\` outside quotes takes the next character literally (a newline:
 * nothing), `#` at the start of a word comments out the rest of the line.
 * Returns undefined for an unterminated quote or a trailing backslash.
 */
export function shlexSplit(text) {
  const words = [];
  let i = 0;
  const n = text.length;
  const blank = (c) => c === ' ' || c === '\t' || c === '\n';
  while (i < n) {
    while (i < n && (blank(text[i]) || text[i] === '#')) {
      if (text[i] === '#') while (i < n && text[i] !== '\n') i++;
      else i++;
    }
    if (i >= n) break;
    let word = '';
    for (; i < n && !blank(text[i]); i++) {
      const c = text[i];
      if (c === '\\') {
        if (++i >= n) return undefined;
        if (text[i] !== '\n') word += text[i];
      } else if (c === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) return undefined;
        word += text.slice(i + 1, end);
        i = end;
      } else if (c === '"') {
        for (i++; ; i++) {
          if (i >= n) return undefined;
          const d = text[i];
          if (d === '"') break;
          if (d === '\\') {
            if (++i >= n) return undefined;
            const e = text[i];
            if (e === '$' || e === '`' || e === '"' || e === '\\') word += e;
            else if (e !== '\n') word += `\\${e}`;
          } else word += d;
        }
      } else word += c;
    }
    words.push(word);
  }
  return words;
}

/** Signal names as nix's `Signal::from_str` accepts them (upper case, with `SIG`); zinit upper-cases first (mod.rs:363, api.rs:197). */
function parseSignal(name) {
  const upper = String(name).toUpperCase();
  return upper.startsWith('SIG') && upper in osConstants.signals ? upper : undefined;
}

/** nix 0.22's `Errno` as anyhow prints it (`{:?}: {desc}`). */
const EINVAL = 'EINVAL: Invalid argument';
const ESRCH = 'ESRCH: No such process';

/** zinit/config.rs:38-55 with serde's defaults; `validate` is config.rs:57-68. Throws on anything serde or validate refuses. */
export function parseService(text) {
  const raw = parseYaml(text) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('invalid type: expected struct Service');
  // serde_yaml 0.8 hands a plain scalar's text to a String field whatever it looks like (`exec: true` is "true").
  const str = (v, key) => {
    if (v === undefined || v === null) return '';
    if (typeof v === 'object') throw new Error(`${key}: invalid type, expected a string`);
    return String(v);
  };
  const after = raw.after ?? [];
  if (!Array.isArray(after) || after.some((a) => typeof a !== 'string')) throw new Error('after: invalid type, expected a sequence of strings');
  const env = raw.env ?? {};
  if (typeof env !== 'object' || Array.isArray(env)) throw new Error('env: invalid type, expected a map');
  const oneshot = raw.oneshot ?? false;
  if (typeof oneshot !== 'boolean') throw new Error('oneshot: invalid type, expected a boolean');
  const timeout = raw.shutdown_timeout ?? DEFAULT_SHUTDOWN_TIMEOUT;
  if (!Number.isInteger(timeout) || timeout < 0) throw new Error('shutdown_timeout: invalid type, expected u64');
  const log = raw.log ?? 'ring';
  if (!['none', 'ring', 'stdout'].includes(log)) throw new Error(`log: unknown variant \`${log}\``);
  const service = {
    exec: str(raw.exec, 'exec'),
    test: str(raw.test, 'test'),
    oneshot,
    shutdownTimeout: timeout,
    after: after.map(String),
    signal: { stop: str(raw.signal?.stop ?? 'sigterm', 'signal.stop') },
    log,
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
    dir: str(raw.dir, 'dir'),
  };
  if (service.exec === '') throw new Error('missing exec directive');
  if (!parseSignal(service.signal.stop)) throw new Error(EINVAL);
  return service;
}

/** manager/mod.rs:225-255: KEY=VALUE lines, `#` comments, no quoting. */
function readEnvironment(root) {
  let text = '';
  try {
    text = readFileSync(join(root, 'etc/environment'), 'utf8');
  } catch {
    return {};
  }
  const env = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const at = line.indexOf('=');
    env[at < 0 ? line : line.slice(0, at)] = at < 0 ? '' : line.slice(at + 1);
  }
  return env;
}

/** `format!("{:?}", WaitStatus)` of nix 0.22 for what Node reports of an exit. */
function waitStatus(pid, code, signal) {
  return signal ? `Signaled(Pid(${pid}), ${signal}, false)` : `Exited(Pid(${pid}), ${code})`;
}

/**
 * Runs `argv` chrooted into `root` (host path) with working directory `dir`
 * (inside the image), in a new session (so a new process group, as
 * command-group's `group_spawn` makes), /dev and /proc mounted in a private
 * mount namespace when the image has the mount points but not the contents.
 */
const LAUNCHER = String.raw`
my ($root, $dir, $dev, $proc, @argv) = @ARGV;
if ($dev) { system('mount', '--rbind', '/dev', "$root/dev") == 0 or die "mount /dev\n"; }
if ($proc) { system('mount', '-t', 'proc', 'proc', "$root/proc") == 0 or die "mount /proc\n"; }
chroot($root) or die "chroot $root: $!\n";
chdir($dir) or die "chdir $dir: $!\n";
exec { $argv[0] } @argv or die "exec $argv[0]: $!\n";
`;

function isCharDevice(path) {
  try {
    return statSync(path).isCharacterDevice();
  } catch {
    return false;
  }
}

function isDir(path) {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export class ZinitModel {
  /**
   * @param {{ socket: string, config: string, root?: string, trace?: string, log?: (line: string) => void }} options
   */
  constructor(options) {
    this.socket = resolve(options.socket);
    this.config = resolve(options.config);
    this.root = options.root ? resolve(options.root) : undefined;
    this.trace = options.trace;
    this.onLog = options.log;
    /** name → service record (mod.rs:47-55: pid, service, target, scheduled, state). */
    this.services = new Map();
    this.ring = [];
    this.waiters = new Set();
    this.shuttingDown = false;
    this.children = new Map();
    this.server = undefined;
  }

  // ---- the process manager (manager/mod.rs) ----

  pushLog(line) {
    this.ring.push(line);
    if (this.ring.length > RING_LINES) this.ring.shift();
    this.onLog?.(line);
  }

  /** Where `prog` is inside the image, as execvp would find it with PATH; undefined when it is not there. */
  findProgram(prog, env, dir) {
    const inImage = (p) => join(this.root ?? '/', p);
    const executable = (p) => {
      try {
        accessSync(inImage(p), fsConstants.X_OK);
        return statSync(inImage(p)).isFile();
      } catch {
        return false;
      }
    };
    if (prog.includes('/')) return executable(isAbsolute(prog) ? prog : join(dir, prog)) ? prog : undefined;
    for (const d of (env.PATH ?? BASE_ENV.PATH).split(':')) if (d && executable(join(d, prog))) return join(d, prog);
    return undefined;
  }

  /**
   * pm.run (manager/mod.rs:152-206): split the command, spawn it in its own
   * process group with cwd `dir` (else /) and env /etc/environment + `env:`.
   * A command that cannot be spawned — unparsable, empty, no such program or
   * directory — throws, which zinit turns into Failure (mod.rs:626-633).
   * Resolves `exited` with the wait status string.
   */
  run(cmd, { dir, env }, prefix) {
    const args = shlexSplit(cmd);
    if (args === undefined) throw new Error('failed to parse command');
    if (args.length === 0) throw new Error('invalid command');
    const cwd = dir || '/';
    const fullEnv = { ...BASE_ENV, ...readEnvironment(this.root ?? '/'), ...env };
    if (!this.findProgram(args[0], fullEnv, cwd)) throw new Error(`failed to spawn command: ${args[0]}: No such file or directory`);
    if (!isDir(join(this.root ?? '/', cwd))) throw new Error(`failed to spawn command: ${cwd}: No such file or directory`);
    let child;
    if (this.root) {
      const dev = isDir(join(this.root, 'dev')) && !isCharDevice(join(this.root, 'dev/null'));
      const proc = isDir(join(this.root, 'proc')) && !existsSync(join(this.root, 'proc/self'));
      const launch = ['perl', '-e', LAUNCHER, this.root, cwd, dev ? '1' : '', proc ? '1' : '', ...args];
      child = spawn('unshare', ['--mount', '--propagation', 'private', ...launch], { detached: true, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    } else {
      child = spawn(args[0], args.slice(1), { cwd, detached: true, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error('failed to spawn command');
    this.children.set(pid, child);
    // Log::Ring (manager/mod.rs:181-196): `[-] name: --- [start] ---`, stdout lines `[+] name: …`, stderr `[-] name: …`.
    if (prefix) this.pushLog(`[-] ${prefix}: ------------ [start] ------------`);
    for (const [stream, mark] of [[child.stdout, '+'], [child.stderr, '-']]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop();
        if (prefix) for (const line of lines) this.pushLog(`[${mark}] ${prefix}: ${line}`);
      });
    }
    const exited = new Promise((resolveExit) => {
      child.on('exit', (code, signal) => {
        this.children.delete(pid);
        resolveExit({ status: waitStatus(pid, code, signal), success: code === 0 });
      });
      child.on('error', () => {
        this.children.delete(pid);
        resolveExit({ status: waitStatus(pid, 127, null), success: false });
      });
    });
    return { pid, exited };
  }

  /** pm.signal (manager/mod.rs:148-150): killpg. */
  signalGroup(pid, sig) {
    try {
      process.kill(-pid, sig);
    } catch (err) {
      throw new Error(err.code === 'ESRCH' ? ESRCH : `${err.code}: ${err.message}`);
    }
  }

  // ---- zinit (zinit/mod.rs) ----

  notifyWaiters() {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  notified() {
    return new Promise((r) => this.waiters.add(r));
  }

  /** mod.rs:201-218 */
  monitor(name, service) {
    if (this.shuttingDown) throw new Error('zinit is shutting down');
    if (this.services.has(name)) throw new Error(`service ${JSON.stringify(name)} already monitored`);
    // ZInitService::new (mod.rs:101-109): pid 0, target Up, not scheduled, state Unknown.
    const svc = { name, pid: 0, service, target: 'Up', scheduled: false, state: 'Unknown' };
    this.services.set(name, svc);
    void this.watch(name, svc);
  }

  get(name) {
    const svc = this.services.get(name);
    if (!svc) throw new Error(`service name ${JSON.stringify(name)} unknown`);
    return svc;
  }

  /** mod.rs:351-377: target Down; signal the group when a process runs; never waits, never escalates. */
  stop(name) {
    const svc = this.get(name);
    svc.target = 'Down';
    const sig = parseSignal(svc.service.signal.stop);
    if (!sig) throw new Error(`unknown stop signal configured '${svc.service.signal.stop}': ${EINVAL}`);
    if (svc.pid === 0) return;
    this.signalGroup(svc.pid, sig);
  }

  /** mod.rs:379-396: target Up first (on a known name), then a watch — which returns at once when one is scheduled already. */
  start(name) {
    if (this.shuttingDown) throw new Error('zinit is shutting down');
    const svc = this.services.get(name);
    if (svc) svc.target = 'Up';
    void this.watch(name, this.get(name));
  }

  /** mod.rs:398-417 */
  forget(name) {
    const svc = this.get(name);
    if (svc.target === 'Up' || svc.pid !== 0) throw new Error(`service ${JSON.stringify(name)} is up`);
    this.services.delete(name);
  }

  /** mod.rs:419-436 */
  kill(name, sig) {
    const svc = this.get(name);
    if (svc.pid === 0) throw new Error(`service ${JSON.stringify(name)} is down`);
    this.signalGroup(svc.pid, sig);
  }

  /** mod.rs:444-475: every `after` service monitored and Running (not a oneshot) or Success. */
  canSchedule(service) {
    for (const dep of service.after) {
      const d = this.services.get(dep);
      if (!d) return false;
      const ok = (d.state === 'Running' && !d.service.oneshot) || d.state === 'Success';
      if (!ok) return false;
    }
    return true;
  }

  /** test_once (mod.rs:500-525) */
  async testOnce(name, cfg) {
    if (cfg.test === '') return true;
    const child = this.run(cfg.test, cfg, cfg.log === 'none' ? undefined : `${name}/test`);
    const { success } = await child.exited;
    return success;
  }

  /** test (mod.rs:477-498): until the test passes, every 2 s; Running (and a notify) when it does. */
  async test(svc, cfg, isCancelled) {
    for (;;) {
      if (isCancelled()) return;
      let passed;
      try {
        passed = await this.testOnce(svc.name, cfg);
      } catch {
        // zinit sets TestFailure and tries again at once (mod.rs:493-495); the model pauses so it cannot spin.
        if (!isCancelled()) svc.state = 'TestFailure';
        await sleep(RETRY_MS);
        continue;
      }
      if (isCancelled()) return;
      if (passed) {
        svc.state = 'Running';
        this.notifyWaiters();
        return;
      }
      await sleep(RETRY_MS);
    }
  }

  /** watch (mod.rs:544-680): the life of one service while its target is Up. */
  async watch(name, svc) {
    if (svc.target === 'Down' || svc.scheduled) return;
    svc.scheduled = true;
    for (;;) {
      if (svc.target === 'Down') break;
      const config = svc.service;
      while (!this.canSchedule(config)) {
        const sig = this.notified();
        svc.state = 'Blocked';
        await sig;
      }
      if (svc.target === 'Down') break;
      let child;
      try {
        child = this.run(config.exec, config, config.log === 'none' ? undefined : name);
      } catch (err) {
        this.pushLog(`zinit: ERROR service ${name} failed to start: ${err.message}`);
        svc.state = 'Failure';
        break;
      }
      svc.state = 'Spawned';
      svc.pid = child.pid;
      if (config.oneshot) svc.state = 'Running';
      let cancelled = false;
      if (!config.oneshot) void this.test(svc, config, () => cancelled || svc.pid !== child.pid);
      const result = await child.exited;
      cancelled = true;
      svc.pid = 0;
      svc.state = result.success ? 'Success' : `Error(${result.status})`;
      if (config.oneshot) {
        this.notifyWaiters();
        break;
      }
      await sleep(RETRY_MS);
    }
    svc.scheduled = false;
  }

  /** The `status` body (api.rs:28-35, 202-227). */
  status(name) {
    const svc = this.get(name);
    const after = {};
    for (const dep of svc.service.after) after[dep] = this.services.get(dep)?.state ?? 'Unknown';
    return { name, pid: svc.pid, state: svc.state, target: svc.target, after };
  }

  /** power (mod.rs:325-349) with kill_process_tree (mod.rs:269-313) and ord.rs: dependents stop before what they come after. */
  async shutdown() {
    this.shuttingDown = true;
    const live = [...this.services.values()].filter((s) => s.state === 'Running' || s.state === 'Spawned');
    const dependents = new Map([...this.services.keys()].map((n) => [n, 0]));
    for (const s of this.services.values()) for (const dep of s.service.after) dependents.set(dep, (dependents.get(dep) ?? 0) + 1);
    const done = new Set();
    const stopOne = async (svc) => {
      try {
        this.stop(svc.name);
      } catch {
        // as kill_wait: logged, and the shutdown goes on
      }
      const deadline = Date.now() + svc.service.shutdownTimeout * 1000;
      while ((svc.state === 'Running' || svc.state === 'Spawned') && svc.pid !== 0 && Date.now() < deadline) await sleep(50);
    };
    const pending = new Set(this.services.values());
    while (pending.size) {
      const ready = [...pending].filter((s) => [...this.services.values()].every((o) => done.has(o) || !o.service.after.includes(s.name) || o === s));
      const wave = ready.length ? ready : [...pending];
      await Promise.all(wave.filter((s) => live.includes(s)).map(stopOne));
      for (const s of wave) {
        pending.delete(s);
        done.add(s);
      }
    }
    // What did not stop in time goes with the model (a node would reboot here).
    for (const pid of this.children.keys()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  // ---- the API (app/api.rs) ----

  /** process (api.rs:97-135) and the handlers below it; returns the reply or `null` for `log` (which streams). */
  async process(line, conn) {
    const parts = shlexSplit(line);
    if (parts === undefined) throw new Error('invalid command syntax');
    if (parts.length === 0) throw new Error('unknown command');
    const [cmd, a, b] = parts;
    if (cmd === 'log') {
      if (parts.length === 1 || (parts.length === 2 && a === 'snapshot')) {
        for (const l of this.ring) conn.write(`${l}\n`);
        if (parts.length === 1) {
          const follow = (l) => conn.write(`${l}\n`);
          const previous = this.onLog;
          this.onLog = (l) => {
            previous?.(l);
            follow(l);
          };
          await new Promise((r) => conn.on('close', r));
          this.onLog = previous;
        }
        return null;
      }
      throw new Error('invalid log command arguments');
    }
    const n = parts.length;
    if (cmd === 'list') {
      const map = {};
      for (const [name, svc] of this.services) map[name] = svc.state;
      return map;
    }
    if (cmd === 'shutdown' || cmd === 'reboot') {
      setImmediate(() => void this.shutdown().then(() => this.close()));
      return null;
    }
    if (cmd === 'start' && n === 2) return this.start(a), null;
    if (cmd === 'stop' && n === 2) return this.stop(a), null;
    if (cmd === 'kill' && n === 3) {
      const sig = parseSignal(b);
      if (!sig) throw new Error(EINVAL);
      return this.kill(a, sig), null;
    }
    if (cmd === 'status' && n === 2) return this.status(a);
    if (cmd === 'forget' && n === 2) return this.forget(a), null;
    if (cmd === 'monitor' && n === 2) {
      // api.rs:156-161: config::load(format!("{}.yaml", name)) relative to the config directory (zinit's working directory),
      // registered under the file's stem; any failure reads `failed to load service config`.
      const file = resolve(this.config, `${a}.yaml`);
      let service;
      try {
        service = parseService(readFileSync(file, 'utf8'));
      } catch {
        throw new Error('failed to load service config');
      }
      this.monitor(basename(file, '.yaml'), service);
      return null;
    }
    throw new Error(`unknown command '${cmd}' or wrong arguments count`);
  }

  /** `zinit init` (app/mod.rs:44-93): monitor every loadable `*.yaml` of the config directory, then serve the socket. */
  async start_() {
    for (const entry of readdirSync(this.config, { withFileTypes: true })) {
      if (!entry.isFile() || extname(entry.name) !== '.yaml') continue;
      try {
        this.monitor(basename(entry.name, '.yaml'), parseService(readFileSync(join(this.config, entry.name), 'utf8')));
      } catch (err) {
        this.pushLog(`zinit: ERROR failed to load config file ${entry.name}: ${err.message}`);
      }
    }
    rmSync(this.socket, { force: true });
    this.server = createServer((conn) => this.handle(conn));
    await new Promise((r) => this.server.listen(this.socket, r));
  }

  /** handle (api.rs:59-95): read one line, reply once, close. */
  handle(conn) {
    let buf = '';
    let started = false;
    conn.setEncoding('utf8');
    const go = async () => {
      if (started) return;
      started = true;
      const nl = buf.indexOf('\n');
      const line = nl < 0 ? buf : buf.slice(0, nl + 1);
      if (this.trace) appendFileSync(this.trace, `${line.replace(/\n$/, '')}\n`);
      let reply;
      try {
        const body = await this.process(line, conn);
        if (body === null && line.trim().startsWith('log')) return conn.end();
        reply = { state: 'ok', body };
      } catch (err) {
        reply = { state: 'error', body: err.message };
      }
      conn.end(JSON.stringify(reply));
    };
    conn.on('data', (chunk) => {
      buf += chunk;
      if (buf.includes('\n')) void go();
    });
    conn.on('end', () => void go());
    conn.on('error', () => {});
  }

  close() {
    this.server?.close();
    rmSync(this.socket, { force: true });
    process.exitCode = 0;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main(argv) {
  const opts = {};
  for (let i = 0; i < argv.length; i += 2) opts[argv[i].replace(/^--/, '')] = argv[i + 1];
  if (!opts.socket || !opts.config) {
    process.stderr.write('usage: zinit-model.mjs --socket PATH --config DIR [--root DIR] [--trace FILE]\n');
    process.exit(2);
  }
  // Sanity of the launcher's tools, so a missing one is named at once rather than as a Failure of every service.
  if (opts.root) for (const tool of ['unshare', 'perl']) if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) throw new Error(`zinit-model needs ${tool}`);
  const model = new ZinitModel(opts);
  await model.start_();
  const quit = () => void model.shutdown().then(() => {
    model.close();
    process.exit(0);
  });
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
  model.server.on('close', () => process.exit(0));
  process.stdout.write('ready\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`zinit-model: ${err.stack ?? err}\n`);
    process.exit(1);
  });
}
