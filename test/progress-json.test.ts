/**
 * `--progress=json` (issue 17, "progress a program can read"): every line on
 * stderr is one JSON event of the schema in report/progress-events.ts and the
 * README — start / progress / done per step with counts and bytes, info and
 * warning messages, and the error — while stdout stays the command's result.
 * The zpkg binary against a real repository and image.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { publishLifecycle, writeImageConfig } from './helpers/lifecycle.js';
import { ok, tempDir, TRUST, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-progress-json-');
const repo = join(work, 'repo');
let serial = 0;

function freshImage(): string {
  const root = join(work, `image-${++serial}`);
  writeImageConfig(root, 'hooks:\n  mode: host\n');
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return root;
}

interface Event {
  v: number;
  event: string;
  step?: string;
  count?: number;
  total?: number;
  bytes?: number;
  seconds?: number;
  summary?: string;
  message?: string;
  code?: string;
  at: string;
}

/** Every stderr line parsed; throws on a line that is not one JSON object. */
function events(stderr: string): Event[] {
  return stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const e = JSON.parse(l) as Event;
      expect(typeof e).toBe('object');
      return e;
    });
}

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 40; i++) files[`usr/share/big/f${i}`] = `${i}`.repeat(5000 + i);
  await publishLifecycle(repo, work, [{ name: 'big', version: '1', files }]);
}, 600_000);

describe('--progress=json', () => {
  it('install writes NDJSON events on stderr (start, done per step with counts and bytes) and the result on stdout', () => {
    const root = freshImage();
    const r = zpkg(['--root', root, '--progress=json', 'install', 'big', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.json.install).toEqual([{ name: 'big', version: '1' }]);
    const all = events(r.stderr);
    for (const e of all) {
      expect(e.v).toBe(1);
      expect(Number.isNaN(Date.parse(e.at))).toBe(false);
    }
    const steps = all.filter((e) => e.event === 'start').map((e) => e.step);
    expect(steps).toEqual(expect.arrayContaining(['manifests', 'fetch', 'stage']));
    for (const step of ['manifests', 'fetch', 'stage']) {
      const start = all.findIndex((e) => e.event === 'start' && e.step === step);
      const done = all.findIndex((e) => e.event === 'done' && e.step === step);
      expect(done).toBeGreaterThan(start);
      const ticks = all.filter((e) => e.event === 'progress' && e.step === step);
      const counts = [...ticks, all[done]!].map((e) => e.count!);
      expect([...counts].sort((a, b) => a - b)).toEqual(counts);
      expect(typeof all[done]!.seconds).toBe('number');
      expect(typeof all[done]!.summary).toBe('string');
    }
    const stage = all.find((e) => e.event === 'done' && e.step === 'stage')!;
    expect(stage.count).toBe(40);
    expect(stage.total).toBe(40);
    expect(stage.bytes).toBe(r.json.files.bytes);
    const fetch = all.find((e) => e.event === 'done' && e.step === 'fetch')!;
    expect(fetch.total).toBe(r.json.fetched.fetched);
    expect(fetch.count).toBe(fetch.total);
  });

  it('without --json the result is text on stdout and stderr is still only events; an error is an event', () => {
    const root = freshImage();
    const r = zpkg(['--root', root, '--progress', 'json', 'install', 'big']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('install big 1');
    expect(events(r.stderr).some((e) => e.event === 'done' && e.step === 'stage')).toBe(true);
    const bad = zpkg(['--root', root, '--progress=json', 'install', 'nosuch']);
    expect(bad.status).toBe(1);
    const last = events(bad.stderr).at(-1)!;
    expect(last).toMatchObject({ event: 'error', code: 'E_PACKAGE_UNKNOWN' });
    expect(last.message).toContain('nosuch');
  });

  it('a warning is an event too (a remote added --insecure, refreshed)', () => {
    const root = join(work, `image-${++serial}`);
    ok(['--root', root, 'remote', 'add', 'main', repo, '--insecure']);
    const r = zpkg(['--root', root, '--progress=json', 'refresh']);
    expect(r.status, r.stderr).toBe(0);
    expect(events(r.stderr)).toEqual(expect.arrayContaining([expect.objectContaining({ event: 'warning', message: expect.stringContaining('insecure') })]));
  });

  it('an unknown mode is a usage error; --progress=none prints no progress', () => {
    const bad = zpkg(['--progress=loud', 'list', '--json']);
    expect(bad.status).toBe(2);
    expect(bad.json.error.code).toBe('E_USAGE');
    const root = freshImage();
    const r = zpkg(['--root', root, '--progress=none', 'install', 'big']);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/^\{/m);
  });
});
