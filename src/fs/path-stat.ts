/**
 * What zpkg keeps of a path's lstat when it keeps many: node 20's Stats holds
 * four Dates besides its numbers, ~700 bytes a path. A build walking 100,000
 * files kept 80 MB of them alive (and every young collection copied them); a
 * plan over an installed package of 300,000 files kept 200 MB.
 */
import { constants, type Stats } from 'node:fs';

/** What callers read of an lstat: node's Stats, or the compact copy (PathStat). */
export type StatLike = Pick<Stats, 'mode' | 'uid' | 'gid' | 'size' | 'nlink' | 'dev' | 'ino' | 'mtimeMs' | 'ctimeMs' | 'isFile' | 'isDirectory' | 'isSymbolicLink'>;

export class PathStat implements StatLike {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly nlink: number;
  readonly dev: number;
  readonly ino: number;
  readonly mtimeMs: number;
  readonly ctimeMs: number;
  constructor(st: Stats) {
    this.mode = st.mode;
    this.uid = st.uid;
    this.gid = st.gid;
    this.size = st.size;
    this.nlink = st.nlink;
    this.dev = st.dev;
    this.ino = st.ino;
    this.mtimeMs = st.mtimeMs;
    this.ctimeMs = st.ctimeMs;
  }
  isFile(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFREG;
  }
  isDirectory(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFDIR;
  }
  isSymbolicLink(): boolean {
    return (this.mode & constants.S_IFMT) === constants.S_IFLNK;
  }
}

