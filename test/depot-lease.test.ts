/**
 * The depot's publish lease held through a long publish: a writer renews it
 * while held (the depot tells it its idle period), so a publish that is
 * silent for longer than that period — a big pack uploading over a slow
 * link — keeps the repository, and a second publisher waits. A lease the
 * depot let lapse stops the writer's later writes with E_REPO_LOCKED.
 * A real depot (server/depot.ts) on loopback, with a short idle period.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ZpkgError } from '../src/core/errors.js';
import type { Digest } from '../src/core/digest.js';
import { DepotWriter } from '../src/repo/depot-writer.js';
import { packPath } from '../src/repo/layout.js';
import { createDepot, type Depot } from '../src/server/depot.js';
import { ok, tempDir } from './helpers/zpkg.js';

const TOKEN = 'lease-test-token';
/** A repository path no publish wrote: removing it needs the lease and changes nothing. */
const NO_PACK = packPath(`sha256:${'ab'.repeat(32)}` as Digest);
let depot: Depot | undefined;

async function startDepot(leaseIdleMs: number): Promise<{ depot: Depot; url: string }> {
  const dir = join(tempDir('zpkg-lease-'), 'repo');
  ok(['repo', 'create', dir]);
  depot = createDepot({ dir, tokens: [TOKEN], leaseIdleMs });
  const url = await depot.app.listen({ host: '127.0.0.1', port: 0 });
  return { depot, url: `${url}/` };
}

afterEach(async () => {
  await depot?.app.close();
  depot = undefined;
});

describe('depot publish lease', () => {
  it('is renewed while held: a publisher silent for longer than the idle period keeps it, and the next one waits', async () => {
    const { depot, url } = await startDepot(2000);
    const first = new DepotWriter(url, TOKEN);
    const second = new DepotWriter(url, TOKEN);
    const release = await first.lock();
    await sleep(5000); // 2.5 idle periods with no write from the holder
    let secondHeld = false;
    const secondLock = second.lock().then((r) => ((secondHeld = true), r));
    await sleep(300);
    expect(secondHeld).toBe(false);
    expect(depot.leases.granted).toBe(1);
    // The holder's lease is still in force: removing needs it.
    await first.remove(NO_PACK);
    await release();
    const releaseSecond = await secondLock;
    expect(depot.leases.granted).toBe(2);
    await releaseSecond();
  }, 20_000);

  it('a lease that lapsed stops every later write of its holder', async () => {
    const { depot, url } = await startDepot(300);
    const writer = new DepotWriter(url, TOKEN);
    const release = await writer.lock();
    depot.leases.close(); // the depot lets it go, as it would after a stall longer than the idle period
    await sleep(400); // a renewal (every 100 ms) hears it
    const err = await writer.write(NO_PACK, new Uint8Array(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ZpkgError);
    expect((err as ZpkgError).code).toBe('E_REPO_LOCKED');
    expect((err as ZpkgError).message).toMatch(/the publish lease lapsed before this publish was committed/);
    await release();
    // Released, the writer can take a new lease and write under it.
    const again = await writer.lock();
    await writer.remove(NO_PACK);
    await again();
  });
});
