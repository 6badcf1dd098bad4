/**
 * Suite `site` (issue 18): `zpkg repo site` on Debian bookworm main imported
 * with `repo import-index` (63,440 versions; catalog-only, so no delivered
 * paths): wall time, CPU and peak RSS of the whole render, the pages and bytes
 * it writes, and a second render of the unchanged repository (which must
 * rewrite nothing). A static catalogue has no peer to race; the goals are the
 * bounds the issue asks for. The in-browser search time on the same catalogue
 * is printed by test/site-browser.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackagesIndex } from '#debian-index';
import { decompressIndex } from '../src/repo/debian/index.js';
import { mustRun, timed } from './proc.js';
import type { BenchContext, BenchSuite, GoalResult, SuiteResult } from './suite.js';
import { fmtSeconds, formatTable, round } from './table.js';

const GOAL_SECONDS = 600;
const GOAL_BYTES = 1024 ** 3;

export const siteSuite: BenchSuite = {
  name: 'site',
  description: "static web catalogue of Debian's 63,440 package versions: render time, size, re-render",
  async run(ctx: BenchContext): Promise<SuiteResult> {
    const bin = join(ctx.repoRoot, 'bin/zpkg.js');
    let index = findPackagesIndex();
    if (!index) throw new Error('no Debian Packages index (set $ZPKG_PACKAGES_INDEX)');
    if (ctx.quick) {
      // the first 3,000 stanzas: a smoke run
      const text = Buffer.from(decompressIndex(readFileSync(index), index)).toString('utf8');
      index = join(ctx.workDir, 'Packages');
      writeFileSync(index, `${text.split('\n\n').slice(0, 3000).join('\n\n')}\n`);
    }
    const repo = join(ctx.workDir, 'repo');
    const out = join(ctx.workDir, 'site');
    ctx.log('site: importing the index');
    await mustRun(process.execPath, [bin, 'repo', 'import-index', index, '--repo', repo]);
    ctx.log('site: rendering (minutes)');
    const first = await timed(process.execPath, [bin, '--json', 'repo', 'site', repo, '--out', out]);
    if (first.code !== 0) throw new Error(`repo site failed: ${first.stderr.slice(-2000)}`);
    const r = JSON.parse(first.stdout);
    ctx.log('site: rendering again, unchanged');
    const again = await timed(process.execPath, [bin, '--json', 'repo', 'site', repo, '--out', out]);
    if (again.code !== 0) throw new Error(`repo site (again) failed: ${again.stderr.slice(-2000)}`);
    const a = JSON.parse(again.stdout);
    const du = await mustRun('du', ['-s', '--block-size=1', out]);
    const disk = Number(du.stdout.split(/\s/)[0]);
    const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;
    const table = formatTable(
      ['', 'value'],
      [
        ['packages (all in the search index)', r.search.packages.toLocaleString('en-US')],
        ['pages', `${r.pages.total.toLocaleString('en-US')}: ${r.pages.packages} packages, ${r.pages.virtual} provided names, ${r.pages.sets} sets, ${r.pages.releases} releases, ${r.pages.browse} browse`],
        ['closure graphs', r.graphs.toLocaleString('en-US')],
        ['render: wall / CPU usr+sys / peak RSS', `${fmtSeconds(first.seconds)} / ${first.userSeconds}+${first.systemSeconds} s / ${first.maxRssKiB === null ? '?' : mib(first.maxRssKiB * 1024)}`],
        ['  of which read+verify / model / pages', `${r.seconds.read.toFixed(2)} / ${r.seconds.model.toFixed(2)} / ${r.seconds.render.toFixed(2)} s`],
        ['written', `${r.written.files.toLocaleString('en-US')} files, ${mib(r.written.bytes)} (${mib(disk)} on disk)`],
        ['search index', `${r.search.files} files, ${mib(r.search.bytes)}`],
        ['render again, unchanged: wall', `${fmtSeconds(again.seconds)}, ${a.written.unchanged.toLocaleString('en-US')} of ${a.written.files.toLocaleString('en-US')} files unchanged`],
      ],
    );
    console.log(table);
    const goals: GoalResult[] = [
      { goal: `render ≤ ${GOAL_SECONDS} s`, status: ctx.quick ? 'not measured' : first.seconds <= GOAL_SECONDS ? 'met' : 'not met', detail: fmtSeconds(first.seconds) },
      { goal: 'site ≤ 1 GiB', status: ctx.quick ? 'not measured' : r.written.bytes <= GOAL_BYTES ? 'met' : 'not met', detail: mib(r.written.bytes) },
      { goal: 'unchanged re-render rewrites nothing', status: a.written.unchanged === a.written.files && a.written.removed === 0 ? 'met' : 'not met', detail: `${a.written.files - a.written.unchanged} rewritten, ${a.written.removed} removed` },
    ];
    return {
      summary: `${r.pages.total} pages, ${mib(r.written.bytes)} in ${fmtSeconds(first.seconds)}`,
      goals,
      data: {
        pages: r.pages,
        graphs: r.graphs,
        search: r.search,
        written: r.written,
        diskBytes: disk,
        seconds: round(first.seconds),
        phases: r.seconds,
        userSeconds: first.userSeconds,
        systemSeconds: first.systemSeconds,
        maxRssKiB: first.maxRssKiB,
        againSeconds: round(again.seconds),
      },
    };
  },
};
