/**
 * The `zpkg` command line: global options, one module per command, errors
 * rendered in one place. Only the module of the command named is loaded (see
 * `commands/index.ts`), and the image, the report and the repositories only
 * when a command runs: `zpkg --version` loads commander and nothing else.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ZpkgError } from '../core/errors.js';
import { MAX_THREADS, setThreadLimit } from '../fs/threads.js';
import { commandsFor, GLOBAL_WITH_VALUE } from './commands/index.js';
import type { Context } from './context.js';
import { VERSION } from './version.js';
import { dropOutputToClosedPipes } from './closed-pipe.js';

export { VERSION };

/**
 * `--version` is the program's only before the command (`zpkg --version`);
 * after it, it is the command's own option (`import-flist --version V`), which
 * commander would otherwise hand to the program wherever it stands.
 */
function programVersionFlag(argv: string[]): string[] {
  const out = [...argv];
  for (let i = 0; i < out.length && out[i]!.startsWith('-'); i++) {
    if (out[i] === '--version') out[i] = '-V';
    else if (GLOBAL_WITH_VALUE.has(out[i]!)) i++;
  }
  return out;
}

/** A thread count as `--threads` and ZPKG_THREADS take it: a whole number from 1 to MAX_THREADS; null otherwise. */
function threadCount(value: string): number | null {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= MAX_THREADS ? n : null;
}

function threadsOption(value: string): number {
  const n = threadCount(value);
  if (n === null) throw new InvalidArgumentError(`\`${value}\` is not a thread count (a whole number from 1 to ${MAX_THREADS})`);
  return n;
}

/** The limit on worker threads: `--threads`, else ZPKG_THREADS, else none (every core). */
function applyThreadLimit(flag: number | undefined): void {
  const env = process.env.ZPKG_THREADS;
  if (flag !== undefined || !env) return setThreadLimit(flag);
  const n = threadCount(env);
  if (n === null) throw new ZpkgError('E_USAGE', `ZPKG_THREADS=${env} is not a thread count (a whole number from 1 to ${MAX_THREADS})`, { hint: 'unset it, or set it to how many threads zpkg may use' });
  setThreadLimit(n);
}

export async function main(argv: string[]): Promise<number> {
  dropOutputToClosedPipes();
  argv = programVersionFlag(argv);
  const modules = await commandsFor(argv);
  let ctx: Context | undefined;
  const context = async (): Promise<Context> => (ctx ??= new (await import('./context.js')).Context(argv));
  const program = new Command('zpkg')
    .description('image packaging system for appliance and edge operating systems')
    .version(VERSION, '-V', 'output the version number (also --version before a command)')
    .option('-r, --root <dir>', 'image root directory', '/')
    .option('--state-dir <dir>', "keep the image's state.db outside it (default: state: in etc/zpkg/zpkg.yaml, else <root>/var/lib/zpkg)")
    .option('--cache-dir <dir>', "keep the image's content cache outside it (default: cache: in etc/zpkg/zpkg.yaml, else beside state.db)")
    .option('--json', 'print one JSON document (or NDJSON for streams) on stdout and nothing else')
    .option('-q, --quiet', 'print only results and errors')
    .addOption(new Option('--progress <mode>', 'progress on stderr: auto (a counter on a terminal), json (NDJSON events a program can read; see the README), none').choices(['auto', 'json', 'none']))
    .addOption(new Option('--threads <n>', 'threads for staging, verify, hashing and compressing, where the work calls for more than one (default: ZPKG_THREADS, else one per core); each is ~15 MB resident').argParser(threadsOption))
    .hook('preAction', (cmd) => applyThreadLimit(cmd.opts().threads as number | undefined))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .showHelpAfterError(false);
  if (modules.length) {
    const c = await context();
    for (const m of modules) m.register(program, c);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      (await context()).report().error(new ZpkgError('E_USAGE', err.message.replace(/^error: /, ''), { hint: 'see `zpkg --help` or `zpkg COMMAND --help`' }));
      return 2;
    }
    (await context()).report().error(err);
    return err instanceof ZpkgError && err.code === 'E_USAGE' ? 2 : 1;
  } finally {
    if (ctx) {
      ctx.close();
      const { closeOpenRepositories } = await import('../repo/registry.js');
      await closeOpenRepositories();
    }
  }
}
