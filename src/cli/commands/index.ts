/**
 * Every top-level command, in the order `zpkg --help` lists them, with the
 * names it registers and how to load it. A command's module is imported only
 * when its name is the one on the command line (all of them for help or an
 * unknown name), so a command pays at start-up only for what it uses: `list`
 * never loads the S3 SDK, fastify or undici.
 */
import type { Command } from 'commander';
import type { Context } from '../context.js';

export interface CommandModule {
  register(program: Command, ctx: Context): void;
}

export interface CommandEntry {
  /** The top-level names the module registers. */
  names: readonly string[];
  load(): Promise<CommandModule>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { names: ['install'], load: () => import('./install.js') },
  { names: ['remove'], load: () => import('./remove.js') },
  { names: ['update'], load: () => import('./update.js') },
  { names: ['sync'], load: () => import('./sync.js') },
  { names: ['rollback'], load: () => import('./rollback.js') },
  { names: ['adopt'], load: () => import('./adopt.js') },
  { names: ['hold', 'unhold'], load: () => import('./hold.js') },
  { names: ['mark'], load: () => import('./mark.js') },
  { names: ['list'], load: () => import('./list.js') },
  { names: ['info'], load: () => import('./info.js') },
  { names: ['contents'], load: () => import('./contents.js') },
  { names: ['owns'], load: () => import('./owns.js') },
  { names: ['why'], load: () => import('./why.js') },
  { names: ['why-not'], load: () => import('./why-not.js') },
  { names: ['search'], load: () => import('./search.js') },
  { names: ['verify'], load: () => import('./verify.js') },
  { names: ['fix'], load: () => import('./fix.js') },
  { names: ['revert'], load: () => import('./revert.js') },
  { names: ['change-facet'], load: () => import('./change-facet.js') },
  { names: ['set-mediator'], load: () => import('./set-mediator.js') },
  { names: ['history'], load: () => import('./history.js') },
  { names: ['diff'], load: () => import('./diff.js') },
  { names: ['recover'], load: () => import('./recover.js') },
  { names: ['gc'], load: () => import('./gc.js') },
  { names: ['remote'], load: () => import('./remote.js') },
  { names: ['refresh'], load: () => import('./refresh.js') },
  { names: ['self-test'], load: () => import('./self-test.js') },
  { names: ['build'], load: () => import('./build.js') },
  { names: ['import-deb'], load: () => import('./import-deb.js') },
  { names: ['import-flist'], load: () => import('./import-flist.js') },
  { names: ['export-flist'], load: () => import('./export-flist.js') },
  { names: ['lint'], load: () => import('./lint.js') },
  { names: ['repo'], load: () => import('./repo.js') },
  { names: ['serve'], load: () => import('./serve.js') },
  { names: ['vercmp'], load: () => import('./vercmp.js') },
  { names: ['demo'], load: () => import('./demo.js') },
];

/** Options of the program itself that take a value (`--root DIR`). */
export const GLOBAL_WITH_VALUE: ReadonlySet<string> = new Set(['-r', '--root', '--state-dir', '--cache-dir', '--progress', '--threads']);

/**
 * The command the command line names: the first operand after the global
 * options, as commander reads it; undefined when there is none (`--version`,
 * `--help`, nothing).
 */
export function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (GLOBAL_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** The modules to register for this command line: the one it names, or every one (help, an unknown name). */
export async function commandsFor(argv: readonly string[]): Promise<CommandModule[]> {
  const name = commandName(argv);
  const entry = name === undefined ? undefined : COMMANDS.find((c) => c.names.includes(name));
  if (entry) return [await entry.load()];
  const wantsHelp = name !== undefined || argv.some((a) => a === '-h' || a === '--help') || argv.length === 0;
  const versionOnly = !wantsHelp && argv.some((a) => a === '-V' || a === '--version');
  if (versionOnly) return [];
  return Promise.all(COMMANDS.map((c) => c.load()));
}
