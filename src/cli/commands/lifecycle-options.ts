/** The options every changing command shares for hooks, and what a transaction's lifecycle makes of the exit status. */
import { Option, type Command } from 'commander';
import type { HookMode } from '../../hooks/config.js';
import type { LifecycleOptions } from '../../hooks/lifecycle.js';

export interface HookFlags {
  hooks?: HookMode;
  /** False with --no-scripts. */
  scripts?: boolean;
}

export function addHookOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--hooks <mode>', 'how package hooks run: chroot (into the image), host, skip; default from etc/zpkg/zpkg.yaml, else chroot for an image that is not /').choices(['auto', 'chroot', 'host', 'skip']))
    .option('--no-scripts', 'run no package hooks (same as --hooks=skip)');
}

export function hookOptions(opts: HookFlags): LifecycleOptions {
  if (opts.scripts === false) return { hooks: 'skip' };
  return opts.hooks ? { hooks: opts.hooks } : {};
}

/** A committed transaction whose post-* hooks or service starts failed makes the command exit 1. */
export function lifecycleExitCode(result: { lifecycle?: { errors: number } }): void {
  if (result.lifecycle && result.lifecycle.errors > 0) process.exitCode = 1;
}
