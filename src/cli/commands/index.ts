/** Every top-level command, in the order `zpkg --help` lists them. */
import type { Command } from 'commander';
import type { Context } from '../context.js';
import { register as adopt } from './adopt.js';
import { register as build } from './build.js';
import { register as contents } from './contents.js';
import { register as demo } from './demo.js';
import { register as fix } from './fix.js';
import { register as gc } from './gc.js';
import { register as history } from './history.js';
import { register as exportFlist } from './export-flist.js';
import { register as importDeb } from './import-deb.js';
import { register as importFlist } from './import-flist.js';
import { register as hold } from './hold.js';
import { register as info } from './info.js';
import { register as install } from './install.js';
import { register as lint } from './lint.js';
import { register as list } from './list.js';
import { register as owns } from './owns.js';
import { register as recover } from './recover.js';
import { register as refresh } from './refresh.js';
import { register as remote } from './remote.js';
import { register as remove } from './remove.js';
import { register as repo } from './repo.js';
import { register as rollback } from './rollback.js';
import { register as search } from './search.js';
import { register as serve } from './serve.js';
import { register as sync } from './sync.js';
import { register as update } from './update.js';
import { register as vercmp } from './vercmp.js';
import { register as verify } from './verify.js';
import { register as why } from './why.js';

export const COMMANDS: ((program: Command, ctx: Context) => void)[] = [
  install, remove, update, sync, rollback, adopt, hold, list, info, contents, owns, why, search, verify, fix, history, recover, gc, remote, refresh, build, importDeb, importFlist, exportFlist, lint, repo, serve, vercmp, demo,
];
