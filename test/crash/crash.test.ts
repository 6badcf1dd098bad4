// Crash injection: an interrupted install, update or remove always recovers to exactly the old or the new state;
// one that fails inside apply (an injected EIO, even when undoing it fails too) ends, after `recover`, in the old.
// `npm run crash -- --runs N` runs N kills in all, split over the scenarios; `npm test` a modest count.
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/prng.js';
import { startNginx } from '../helpers/servers.js';
import { ok, tempDir, TRUST } from '../helpers/zpkg.js';
import { buildGiveBackRepository, buildMergedUsrRepository, buildRepository, crashRun, killPlan, mergedUsrImage, prepareScenario, type RunResult, type Scenario } from './harness.js';

const RUNS = Number(process.env.ZPKG_CRASH_RUNS ?? 45);
let work: string;
const scenarios: Scenario[] = [];
let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;

beforeAll(async () => {
  work = tempDir('zpkg-crash-');
  const repo = buildRepository(work);
  const empty = join(work, 'tpl-empty');
  mkdirSync(empty);
  ok(['--root', empty, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', empty, 'refresh']);
  const v1 = join(work, 'tpl-v1');
  cpSync(empty, v1, { recursive: true, verbatimSymlinks: true });
  ok(['--root', v1, 'install', 'tools=1.0', 'app=1.0', 'libone=1.0', 'libtwo=1.0', 'base=1.0']);
  scenarios.push(prepareScenario(work, 'install', empty, ['install', 'tools']));
  scenarios.push(prepareScenario(work, 'update', v1, ['update']));
  scenarios.push(prepareScenario(work, 'remove', v1, ['remove', '--cascade', 'libtwo']));
  // A merged /usr (Debian 12 → 13): an essential package takes the image's links over from the adopted base, and an
  // update dropping them gives them back; recovery must restore who owns each link as well as the files.
  const merged = mergedUsrImage(join(work, 'tpl-merged'), buildMergedUsrRepository(work), TRUST);
  ok(['--root', merged, 'install', 'tool']);
  scenarios.push(prepareScenario(work, 'take over the links', merged, ['install', 'basefiles=1', 'tool2']));
  const carried = join(work, 'tpl-carried');
  cpSync(merged, carried, { recursive: true, verbatimSymlinks: true });
  ok(['--root', carried, 'install', 'basefiles=1', 'tool2']);
  scenarios.push(prepareScenario(work, 'give the links back', carried, ['update', 'basefiles']));
  // A removal that writes: the files the removed package took over go back to the package they came from.
  const lender = join(work, 'tpl-give-back');
  mkdirSync(lender);
  ok(['--root', lender, 'remote', 'add', 'main', buildGiveBackRepository(work), ...TRUST]);
  ok(['--root', lender, 'install', 'docs']);
  ok(['--root', lender, 'install', 'newdocs']);
  scenarios.push(prepareScenario(work, 'remove giving files back', lender, ['remove', 'newdocs']));
  // The same install from nginx: its pack is downloaded, and staged while it arrives (txn/arrivals.ts).
  nginx = await startNginx(repo);
  const web = join(work, 'tpl-web');
  mkdirSync(web);
  ok(['--root', web, 'remote', 'add', 'main', nginx.url, ...TRUST]);
  ok(['--root', web, 'refresh']);
  scenarios.push(prepareScenario(work, 'install over http', web, ['install', 'tools']));
}, 300_000);

afterAll(async () => {
  await nginx?.stop();
});

/** Who owns `path` in a state `imageState` described. */
function ownerIn(state: string, path: string): string | undefined {
  const files = (JSON.parse(state) as { rows: { path: string; package: string }[][] }).rows[1]!;
  return files.find((f) => f.path === path)?.package;
}

describe('crash recovery', () => {
  it('the merged-/usr scenarios move the links between the adopted base and the essential package, and a removal gives files back', () => {
    const take = scenarios.find((s) => s.name === 'take over the links')!;
    const give = scenarios.find((s) => s.name === 'give the links back')!;
    expect([ownerIn(take.before, 'bin'), ownerIn(take.after, 'bin'), ownerIn(take.after, 'lib')]).toEqual(['base', 'basefiles', 'basefiles']);
    expect([ownerIn(give.before, 'lib'), ownerIn(give.after, 'bin'), ownerIn(give.after, 'lib')]).toEqual(['basefiles', 'base', 'base']);
    const back = scenarios.find((s) => s.name === 'remove giving files back')!;
    expect([ownerIn(back.before, 'usr/share/doc/docs/f0'), ownerIn(back.after, 'usr/share/doc/docs/f0'), back.steps]).toEqual(['newdocs', 'docs', 60]);
  });

  it(`${RUNS} kills and failures inside apply across install (from a directory and over http), update, remove (one giving files back) and a merged /usr's links taken over and given back leave the old or the new state, never a mix (a failure: the old)`, async () => {
    const random = prng(0x5eed);
    const results: RunResult[] = [];
    const perScenario = Math.ceil(RUNS / scenarios.length);
    for (const s of scenarios) for (const kill of killPlan(s, perScenario, random)) results.push(await crashRun(work, s, kill));
    const failed = results.filter((r) => r.outcome === 'FAILED');
    const count = (o: string): number => results.filter((r) => r.outcome === o).length;
    console.log(`crash runs: ${results.length}, old state: ${count('old')}, new state: ${count('new')}, failures: ${failed.length}`);
    for (const f of failed) console.log(`  FAILED ${f.scenario} ${f.kill}: ${f.detail}`);
    expect(failed).toEqual([]);
    // The named kill points reach both sides of the commit.
    expect(count('old')).toBeGreaterThan(0);
    expect(count('new')).toBeGreaterThan(0);
  }, Math.max(3_600_000, RUNS * 30_000)); // bounds a hang only: 30 s a run, for a long run on a busy machine
});
