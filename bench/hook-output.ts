/**
 * What a hook's output costs zpkg (issue 16 §3): `npx tsc -p tsconfig.json &&
 * node dist/bench/hook-output.js`. Not part of `npm run bench`. Runs a hook on
 * the host that writes 10 MB without a newline, then 100 MB of short lines, to
 * a pipe, and prints the wall time and zpkg's peak RSS growth for each.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runHook } from '../src/hooks/runner.js';

const root = mkdtempSync(join(tmpdir(), 'zpkg-hook-output-'));
mkdirSync(join(root, 'hooks'));
const cases: [string, string][] = [
  ['10 MB, no newline', 'head -c 10000000 /dev/zero | tr "\\0" x'],
  ['100 MB, no newline', 'head -c 100000000 /dev/zero | tr "\\0" x'],
  ['100 MB of 100-byte lines', 'yes "$(head -c 99 /dev/zero | tr "\\0" y)" | head -c 100000000'],
];
for (const [what, script] of cases) {
  writeFileSync(join(root, 'hooks/h'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(root, 'hooks/h'), 0o755);
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  let lines = 0;
  const t0 = process.hrtime.bigint();
  const r = await runHook({ root, mode: 'host', file: 'hooks/h', env: {}, timeoutMs: 600_000, onLine: () => (lines += 1) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(`${what.padEnd(26)} ${r.status.padEnd(8)} ${ms.toFixed(0).padStart(6)} ms  peak RSS +${((peak - base) / 2 ** 20).toFixed(0)} MiB  kept ${r.output.length} chars, ${lines} lines passed on`);
}
