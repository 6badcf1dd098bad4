/**
 * Graph layout by Graphviz compiled to WebAssembly (@viz-js/viz): the same
 * layout engine on every machine, no program to install. Small sites lay out
 * in this thread; large ones in a pool of worker threads (layout-worker.ts),
 * batches handed to whichever is free, so pages are written while graphs are
 * laid out.
 */
import { Worker } from 'node:worker_threads';
import { instance } from '@viz-js/viz';
import { ZpkgError } from '../core/errors.js';
import { dotOf, svgOf, type GraphJob } from './graph.js';

export interface Layout {
  /** SVG for each job, in order. */
  draw(jobs: GraphJob[]): Promise<string[]>;
  close(): Promise<void>;
}

function layoutError(message: string): ZpkgError {
  return new ZpkgError('E_INTERNAL', `graph layout failed: ${message}`, { hint: 'this is a bug in zpkg; please report it with the repository that shows it' });
}

async function inlineLayout(): Promise<Layout> {
  const viz = await instance();
  return {
    async draw(jobs) {
      try {
        return jobs.map((j) => svgOf(j, viz.renderString(dotOf(j), { format: 'plain' })));
      } catch (err) {
        throw layoutError((err as Error).message);
      }
    },
    async close() {},
  };
}

interface Pending {
  resolve(svgs: string[]): void;
  reject(err: Error): void;
}

async function poolLayout(threads: number): Promise<Layout> {
  const url = new URL('./layout-worker.js', import.meta.url);
  const idle: Worker[] = [];
  const waiting: (() => void)[] = [];
  const pending = new Map<number, Pending>();
  let nextId = 0;
  const workers = await Promise.all(
    Array.from({ length: threads }, () => new Promise<Worker>((resolve, reject) => {
      const w = new Worker(url);
      w.once('error', reject);
      w.once('message', () => resolve(w));
    })),
  );
  for (const w of workers) {
    w.on('message', (msg: { id: number; svgs?: string[]; error?: string }) => {
      const p = pending.get(msg.id);
      pending.delete(msg.id);
      idle.push(w);
      waiting.shift()?.();
      if (msg.error !== undefined) p?.reject(layoutError(msg.error));
      else p?.resolve(msg.svgs!);
    });
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(layoutError(err.message));
      pending.clear();
    });
    idle.push(w);
  }
  return {
    async draw(jobs) {
      while (idle.length === 0) await new Promise<void>((r) => waiting.push(r));
      const w = idle.pop()!;
      const id = nextId++;
      return new Promise<string[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        w.postMessage({ id, jobs });
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** `threads` 0: lay out in this thread. */
export function createLayout(threads: number): Promise<Layout> {
  return threads > 0 ? poolLayout(threads) : inlineLayout();
}
