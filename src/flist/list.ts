/**
 * `zpkg import-flist --list`: every inode of an flist as it is stored — what
 * `ls -l` would show of a mounted flist, and under `--json` each row with its
 * blocks, so a listing can be compared with the tables themselves. The tree
 * is checked as for an import (read.ts); nothing is fetched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlRoute, InodeKind } from './format.js';
import { localFlist } from './input.js';
import { readFlist } from './read.js';

export interface ListedInode {
  ino: number;
  parent: number;
  name: string;
  /** `/` for the root, else `/` and the path. */
  path: string;
  type: InodeKind;
  /** The whole st_mode (type and permission bits). */
  mode: number;
  size: number;
  uid: number;
  gid: number;
  rdev: number;
  ctime: number;
  mtime: number;
  target?: string;
  /** Hex id and key of each block, in order. */
  blocks: { id: string; key: string }[];
}

export interface FlistListing {
  source: string;
  inodes: ListedInode[];
  tags: Record<string, string>;
  routes: FlRoute[];
}

export async function listFlist(input: string): Promise<FlistListing> {
  const work = mkdtempSync(join(tmpdir(), 'zpkg-list-flist-'));
  try {
    const fl = readFlist(await localFlist(input, work, 0), input);
    return {
      source: input,
      inodes: fl.inodes.map((i) => ({
        ino: i.ino,
        parent: i.parent,
        name: i.name,
        path: `/${i.path}`,
        type: i.kind,
        mode: i.mode,
        size: i.size,
        uid: i.uid,
        gid: i.gid,
        rdev: i.rdev,
        ctime: i.ctime,
        mtime: i.mtime,
        ...(i.target !== undefined ? { target: i.target } : {}),
        blocks: i.blocks.map((b) => ({ id: b.id.toString('hex'), key: b.key.toString('hex') })),
      })),
      tags: Object.fromEntries(fl.tags),
      routes: fl.routes,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
