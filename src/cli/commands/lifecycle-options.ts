/** The options every changing command shares for hooks, and what a transaction's lifecycle makes of the exit status. */
import { Option, type Command } from 'commander';
import type { HookMode } from '../../hooks/config.js';
import type { LifecycleOptions } from '../../hooks/lifecycle.js';

export interface HookFlags {
  hooks?: HookMode;
  /** False with --no-scripts. */
  scripts?: boolean;
  rollbackOnFailure?: boolean;
  overwrite?: string[];
  allowProtected?: boolean;
}

export function addHookOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--hooks <mode>', 'how package hooks run: chroot (into the image), host, skip; default from etc/zpkg/zpkg.yaml, else chroot for an image that is not /').choices(['auto', 'chroot', 'host', 'skip']))
    .option('--no-scripts', 'run no package hooks (same as --hooks=skip)')
    .option('--rollback-on-failure', 'when a post-hook fails or a started service does not come up, roll the image back to the generation before (default: on-failure in etc/zpkg/zpkg.yaml)')
    .option('--overwrite <glob>', 'let the transaction overwrite paths no package owns that match GLOB (repeatable; refused otherwise)', (v: string, all: string[]) => [...all, v], [] as string[]);
}

/** `--allow-protected`, for the commands that can remove packages. */
export function addProtectedOption(cmd: Command): Command {
  return cmd.option('--allow-protected', 'let the change remove protected packages (the base, zpkg, glibc…)');
}

export function hookOptions(opts: HookFlags): LifecycleOptions & { overwrite?: string[]; allowProtected?: boolean } {
  const extra = { ...(opts.rollbackOnFailure ? { rollbackOnFailure: true } : {}), ...(opts.overwrite?.length ? { overwrite: opts.overwrite } : {}), ...(opts.allowProtected ? { allowProtected: true } : {}) };
  if (opts.scripts === false) return { hooks: 'skip', ...extra };
  return opts.hooks ? { hooks: opts.hooks, ...extra } : extra;
}

/** A committed transaction whose post-* hooks or service starts failed makes the command exit 1. */
export function lifecycleExitCode(result: { lifecycle?: { errors: number } }): void {
  if (result.lifecycle && result.lifecycle.errors > 0) process.exitCode = 1;
}
