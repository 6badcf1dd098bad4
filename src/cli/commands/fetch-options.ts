/** `--download-only` / `--offline` of install, update and sync: fetch now, apply later (txn/offline.ts). */
import type { Command } from 'commander';
import { ZpkgError } from '../../core/errors.js';

export interface FetchFlags {
  downloadOnly?: boolean;
  offline?: boolean;
  dryRun?: boolean;
}

export function addFetchOptions(cmd: Command): Command {
  return cmd
    .option('--download-only', 'solve, fetch and verify everything into the content cache and change nothing else; apply later with --offline')
    .option('--offline', 'read no remote: apply from the content cache alone (what --download-only fetched), or fail naming what is missing');
}

/** The options for the library; flags that exclude each other are a usage error. */
export function fetchOptions(opts: FetchFlags): { downloadOnly?: boolean; offline?: boolean } {
  if (opts.downloadOnly && opts.offline) throw new ZpkgError('E_USAGE', '--download-only and --offline exclude each other', { hint: 'download with --download-only, then apply with --offline' });
  if (opts.downloadOnly && opts.dryRun) throw new ZpkgError('E_USAGE', '--download-only and --dry-run exclude each other', { hint: '--dry-run fetches nothing; --download-only fetches and changes nothing else' });
  return { ...(opts.downloadOnly ? { downloadOnly: true } : {}), ...(opts.offline ? { offline: true } : {}) };
}
