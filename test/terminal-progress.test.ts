/**
 * Progress on a terminal, through a real pseudo-terminal (util-linux
 * `script`): a long step redraws one live line and ends with its own summary
 * line; a step with nothing to do leaves no line; byte counts use the units
 * of the result (KiB, MiB), so the same bytes never read as two numbers.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ok, tempDir, TEST_KEY, TRUST, writePackage } from './helpers/zpkg.js';

/** Runs zpkg with stdout and stderr on one pseudo-terminal; the lines as a person sees them, redraws included. */
function onTerminal(args: string[]): { status: number; lines: string[] } {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm', NO_COLOR: '1', ZPKG_REPO_KEY: TEST_KEY } });
  // eslint-disable-next-line no-control-regex
  const text = r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  return { status: r.status ?? -1, lines: text.split(/\r\n|\r|\n/).filter((l) => l !== '') };
}

let work: string;
let repo: string;

beforeAll(() => {
  work = tempDir();
  repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const files: Record<string, string> = {};
  for (let i = 0; i < 300; i++) files[`usr/share/big/${i}.txt`] = `${i}\n`.repeat(2000);
  ok(['build', writePackage(join(work, 'big'), { name: 'big', version: '1' }, files), '--repo', repo]);
});

describe('progress on a terminal', () => {
  it('ends each step with its summary in the units of the result; a second install has no step to show', () => {
    const root = join(work, 'img');
    ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
    const first = onTerminal(['--root', root, 'install', 'big']);
    expect(first.status).toBe(0);
    expect(first.lines).toContain('install big 1');
    expect(first.lines.find((l) => l.startsWith('manifests: 1 manifest'))).toMatch(/^manifests: 1 manifest \(\d+\.\d\d s\)$/);
    const staged = first.lines.filter((l) => l.startsWith('stage: 300 paths'));
    expect(staged).toHaveLength(1);
    const summary = first.lines.find((l) => l.startsWith('300 paths written'))!;
    // The same bytes in the step's line and the result's: one unit, one number.
    const bytes = /\(([\d.]+ MiB) verified\)/.exec(summary)![1];
    expect(staged[0]).toMatch(new RegExp(`^stage: 300 paths, ${bytes!.replace('.', '\\.')} verified \\(\\d+\\.\\d\\d s\\)$`));
    expect(first.lines.find((l) => l.startsWith('fetch: '))).toMatch(/^fetch: 300 of 300 blobs fetched, [\d.]+ KiB \(\d+\.\d\d s\)$/);
    const again = onTerminal(['--root', root, 'install', 'big']);
    expect(again).toEqual({ status: 0, lines: ['big 1 is already installed: nothing to do'] });
  });
});
