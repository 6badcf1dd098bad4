/** The options every changing command shares for hooks, and what a transaction's lifecycle makes of the exit status. */
import { Option, type Command } from 'commander';
import type { HookMode } from '../../hooks/config.js';
import type { LifecycleOptions } from '../../hooks/lifecycle.js';

export interface HookFlags {
  hooks?: HookMode;
  /** False with --no-scripts. */
  scripts?: boolean;
  allowProtected?: boolean;
}

export function addHookOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--hooks <mode>', 'how package hooks run: chroot (into the image), host, skip; default from etc/zpkg/zpkg.yaml, else chroot for an image that is not /').choices(['auto', 'chroot', 'host', 'skip']))
    .option('--no-scripts', 'run no package hooks (same as --hooks=skip)')
    .option('--allow-protected', 'let this change remove protected packages (zpkg itself)');
}

export function hookOptions(opts: HookFlags): LifecycleOptions & { allowProtected?: boolean } {
  const protect = opts.allowProtected ? { allowProtected: true } : {};
  if (opts.scripts === false) return { hooks: 'skip', ...protect };
  return opts.hooks ? { hooks: opts.hooks, ...protect } : protect;
}

/** A committed transaction whose post-* hooks or service starts failed makes the command exit 1. */
export function lifecycleExitCode(result: { lifecycle?: { errors: number } }): void {
  if (result.lifecycle && result.lifecycle.errors > 0) process.exitCode = 1;
}
