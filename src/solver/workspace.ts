/**
 * The per-variable arrays of an engine, recycled between solves over the same
 * pool: allocating and zeroing them for 63k variables costs more than most
 * solves, and the garbage they leave makes the next collections slow. A
 * workspace is handed out clean and cleaned on release by undoing only what
 * was touched.
 */
const NO_REASON = -1;

export class Workspace {
  readonly vals: Int8Array;
  readonly levels: Int32Array;
  readonly reasons: Int32Array;
  readonly activated: Uint8Array;
  readonly trail: Int32Array;
  readonly levelStart: Int32Array;
  readonly savedAgendaLen: Int32Array;
  readonly savedAgendaPos: Int32Array;
  readonly savedPrefPos: Int32Array;
  readonly watches: (number[] | undefined)[];
  readonly reqs: (number[] | undefined)[];
  readonly seen: Uint8Array;
  /** What to clean on release besides the trail's variables. */
  readonly activatedList: number[] = [];
  readonly watchedLits: number[] = [];
  readonly reqOwners: number[] = [];

  constructor(readonly nVars: number) {
    this.vals = new Int8Array(nVars);
    this.levels = new Int32Array(nVars);
    this.reasons = new Int32Array(nVars).fill(NO_REASON);
    this.activated = new Uint8Array(nVars);
    this.trail = new Int32Array(nVars);
    this.levelStart = new Int32Array(nVars + 2);
    this.savedAgendaLen = new Int32Array(nVars + 2);
    this.savedAgendaPos = new Int32Array(nVars + 2);
    this.savedPrefPos = new Int32Array(nVars + 2);
    this.watches = new Array<number[] | undefined>(2 * nVars).fill(undefined);
    this.reqs = new Array<number[] | undefined>(nVars).fill(undefined);
    this.seen = new Uint8Array(nVars);
  }
}

/** Workspaces smaller than this are cheap to allocate and not kept. */
const KEEP_FROM = 1024;
const KEEP_AT_MOST = 4;
const spare = new Map<number, Workspace>();

export function acquireWorkspace(nVars: number): Workspace {
  const w = spare.get(nVars);
  if (w === undefined) return new Workspace(nVars);
  spare.delete(nVars);
  return w;
}

/** Cleans `w` (its assigned variables are trail[0 .. trailLen)) and keeps it for the next engine. */
export function releaseWorkspace(w: Workspace, trailLen: number): void {
  if (w.nVars < KEEP_FROM) return;
  for (let i = 0; i < trailLen; i++) {
    const v = w.trail[i]! >> 1;
    w.vals[v] = 0;
    w.reasons[v] = NO_REASON;
  }
  for (const v of w.activatedList) w.activated[v] = 0;
  for (const l of w.watchedLits) w.watches[l] = undefined;
  for (const v of w.reqOwners) w.reqs[v] = undefined;
  w.activatedList.length = 0;
  w.watchedLits.length = 0;
  w.reqOwners.length = 0;
  if (spare.size >= KEEP_AT_MOST) spare.delete(spare.keys().next().value!);
  spare.set(w.nVars, w);
}
