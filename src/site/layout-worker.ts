/** A layout thread: Graphviz (WASM) lays out batches of graphs and draws their SVG (graph.ts). */
import { parentPort } from 'node:worker_threads';
import { instance } from '@viz-js/viz';
import { dotOf, svgOf, type GraphJob } from './graph.js';

// No top-level await: the self-contained bundle compiles workers as CommonJS scripts.
void instance().then((viz) => {
  parentPort!.on('message', (msg: { id: number; jobs: GraphJob[] }) => {
    try {
      parentPort!.postMessage({ id: msg.id, svgs: msg.jobs.map((j) => svgOf(j, viz.renderString(dotOf(j), { format: 'plain' }))) });
    } catch (err) {
      parentPort!.postMessage({ id: msg.id, error: (err as Error).message });
    }
  });
  parentPort!.postMessage({ ready: true });
});
