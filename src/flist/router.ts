/**
 * Routing blocks to stores by the first byte of their id (rfs
 * `src/store/router.rs` and the `Store` impl of `Router` in `store/mod.rs`):
 * a block is read from the stores whose range holds that byte, the first that
 * has it wins; it is written to every one of them. rfs shuffles the readers
 * of a range for fairness; zpkg asks them in route order, so what a run does
 * can be told again.
 *
 * A block no route covers makes the flist unusable (E_FLIST_INVALID); a block
 * that every store of its range answers "not there" is missing
 * (E_BLOCK_MISSING); when a store cannot be asked and no other has the block,
 * the failure is E_REMOTE_UNREACHABLE, naming each store's answer.
 */
import { ZpkgError } from '../core/errors.js';
import { openStore, type StoreSpec } from './stores/open.js';
import type { BlockStore } from './stores/types.js';

export class BlockRouter {
  private readonly routes: { start: number; end: number; store: BlockStore }[] = [];
  private readonly stores = new Map<string, BlockStore>();

  /** `source` names the flist or the command line the routes come from, for messages. */
  constructor(specs: readonly StoreSpec[], private readonly source: string) {
    for (const s of specs) {
      let store = this.stores.get(s.url);
      if (!store) {
        store = openStore(s.url);
        this.stores.set(s.url, store);
      }
      this.routes.push({ start: s.start, end: s.end, store });
    }
  }

  private storesFor(id: Buffer): BlockStore[] {
    return this.routes.filter((r) => r.start <= id[0]! && id[0]! <= r.end).map((r) => r.store);
  }

  private unrouted(id: Buffer, where: string): ZpkgError {
    const hex = id.toString('hex');
    return new ZpkgError('E_FLIST_INVALID', `block ${hex} (${where}): no route of ${this.source} covers its first byte 0x${hex.slice(0, 2)}`, {
      hint: this.routes.length ? `routes: ${this.routes.map((r) => `${r.start.toString(16).padStart(2, '0')}-${r.end.toString(16).padStart(2, '0')}=${r.store.display}`).join(', ')}; name stores with --store` : 'the flist has no routes: name its stores with --store URL',
      details: { block: hex },
    });
  }

  /** The stored bytes of a block, from the first store of its range that has it. */
  async get(id: Buffer, maxBytes: number, where: string): Promise<Buffer> {
    const stores = this.storesFor(id);
    const hex = id.toString('hex');
    if (stores.length === 0) throw this.unrouted(id, where);
    const failures: ZpkgError[] = [];
    for (const store of stores) {
      try {
        const data = await store.get(id, maxBytes);
        if (data !== undefined) return data;
      } catch (err) {
        if (!(err instanceof ZpkgError) || !['E_REMOTE_UNREACHABLE', 'E_AUTH', 'E_IO'].includes(err.code)) throw err;
        failures.push(err);
      }
    }
    if (failures.length) {
      throw new ZpkgError(failures.length === 1 ? failures[0]!.code : 'E_REMOTE_UNREACHABLE', `block ${hex} (${where}): no store of its route answers: ${failures.map((f) => f.message).join('; ')}`, {
        hint: failures[0]!.hint ?? 'check the stores (the flist\'s routes, or --store)',
        details: { block: hex },
      });
    }
    throw new ZpkgError('E_BLOCK_MISSING', `block ${hex} (${where}) is missing: ${stores.map((s) => s.display).join(', ')} ${stores.length === 1 ? 'does' : 'do'} not hold it`, {
      hint: 'the flist names a block its stores lack; name the stores that hold its blocks with --store URL',
      details: { block: hex, stores: stores.map((s) => s.display) },
    });
  }

  /**
   * Stores a block in every store of its range that lacks it; returns how many
   * stores were written (0: all had it already).
   */
  async put(id: Buffer, data: Buffer, where: string): Promise<number> {
    const stores = this.storesFor(id);
    if (stores.length === 0) throw this.unrouted(id, where);
    let written = 0;
    for (const store of stores) {
      if (await store.has(id)) continue;
      await store.set(id, data);
      written += 1;
    }
    return written;
  }

  async sync(): Promise<void> {
    for (const s of this.stores.values()) await s.sync();
  }

  async close(): Promise<void> {
    for (const s of this.stores.values()) await s.close().catch(() => undefined);
  }
}
