/** `zpkg repo …`: repository maintenance commands. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { register as archive } from './repo-archive.js';
import { register as check } from './repo-check.js';
import { register as copy } from './repo-copy.js';
import { register as create } from './repo-create.js';
import { register as diff } from './repo-diff.js';
import { register as gc } from './repo-gc.js';
import { register as importIndex } from './repo-import-index.js';
import { register as keygen } from './repo-keygen.js';
import { register as list } from './repo-list.js';
import { register as remove } from './repo-remove.js';
import { register as repack } from './repo-repack.js';
import { register as rotate } from './repo-rotate.js';
import { register as sign } from './repo-sign.js';
import { register as site } from './repo-site.js';
import { register as upgrade } from './repo-upgrade.js';
import { register as verify } from './repo-verify.js';

export function register(program: Command, ctx: Context): void {
  const repo = program.command('repo').description('create and maintain repositories');
  for (const r of [create, importIndex, list, remove, verify, check, gc, repack, keygen, sign, rotate, copy, archive, site, upgrade, diff]) r(repo, ctx);
}
