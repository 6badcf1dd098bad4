// Hostile corpus, issue 16 §2: conflicts that are not exact path matches are refused at plan time (within one
// transaction and against installed packages), and recovery undoes whatever a failed apply did, whatever it meets.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, imageState, linkAction, manifestOf, type HostileWorld } from '../helpers/hostile.js';
import { ok, snapshot, zpkg } from '../helpers/zpkg.js';

let world: HostileWorld;
const body = (s: string): Buffer => Buffer.from(`${s}\n`);
const file = (path: string) => fileAction(path, body(path));
const dir = (path: string) => ({ type: 'dir', path, mode: '0755', owner: 'root', group: 'root' });
const hardlink = (path: string, target: string) => ({ type: 'hardlink', path, target });

/** Publishes package NAME (version 1.0 unless `version`) with ACTIONS; every file's content is its path. */
async function pkg(name: string, actions: Record<string, unknown>[], extra: Record<string, unknown> = {}): Promise<void> {
  const blobs = actions.filter((a) => a.type === 'file').map((a) => body(a.path as string));
  await craft(world.repo, manifestOf(name, actions, extra), blobs);
}

beforeAll(async () => {
  world = hostileWorld('zpkg-hostile-conflicts-');
  // Within one transaction.
  await pkg('link-l', [linkAction('opt/l', '.')]);
  await pkg('under-l', [file('opt/l/x')]);
  await pkg('link-out', [linkAction('opt/out', world.sentinel)]);
  await pkg('under-out', [file('opt/out/secret')]);
  await pkg('file-f', [file('opt/f')]);
  await pkg('under-f', [file('opt/f/y')]);
  await pkg('deep-file', [file('srv/a/b/c')]);
  await pkg('link-ab', [linkAction('srv/a/b', '/tmp')]);
  await pkg('hard-h', [file('opt/h0'), hardlink('opt/h', 'opt/h0')]);
  await pkg('under-h', [file('opt/h/z')]);
  await pkg('dir-l', [dir('opt/l'), dir('opt/l/sub')]);
  await pkg('self-nested', [file('opt/s'), file('opt/s/t')]);
  await pkg('self-link-dir', [linkAction('opt/m', 'n'), dir('opt/m/sub')]);
  await pkg('deep-under-f', [file('opt/f/g/h/i')]);
  // Against installed packages: a file where an installed package has a directory, and the reverse.
  await pkg('file-srv-a', [file('srv/a')]);
  await pkg('link-srv', [linkAction('srv', 'opt')]);
  // Failures inside apply.
  await pkg('three', [file('usr/share/three/a'), file('usr/share/three/b'), file('usr/share/three/c'), linkAction('usr/share/three/d', 'a')]);
  await pkg('up', [file('etc/up/one'), file('etc/up/two'), file('etc/up/gone')]);
  const v2 = (p: string): Buffer => body(`${p} v2`);
  await craft(world.repo, manifestOf('up', [fileAction('etc/up/one', v2('one')), fileAction('etc/up/two', v2('two')), fileAction('etc/up/new', v2('new'))], { version: '2.0' }), [v2('one'), v2('two'), v2('new')]);
  await pkg('plain', [file('usr/share/plain')]);
}, 300_000);

let images = 0;
const image = (): string => hostileImage(world, `img-${images++}`);
/**
 * An image where `three`'s directory stands already (empty, nobody's), so that apply
 * renames each of its paths: a new directory would land whole, in one step
 * (src/txn/new-trees.ts; its failures are test/new-trees.test.ts's).
 */
const imageWithThreeDir = (): string => hostileImage(world, `img-${images++}`, { setup: (root) => mkdirSync(join(root, 'usr/share/three'), { recursive: true }) });

describe('conflicts that are not exact path matches (plan time)', () => {
  const pairs: [string, string, RegExp][] = [
    ['link-l', 'under-l', /link-l 1\.0 delivers `opt\/l` as a link, and under-l 1\.0 delivers `opt\/l\/x` under it/],
    ['under-l', 'link-l', /`opt\/l` as a link.*`opt\/l\/x`/],
    ['link-out', 'under-out', /`opt\/out` as a link.*`opt\/out\/secret`/],
    ['file-f', 'under-f', /file-f 1\.0 delivers `opt\/f` as a file, and under-f 1\.0 delivers `opt\/f\/y` under it/],
    ['file-f', 'deep-under-f', /`opt\/f` as a file.*`opt\/f\/g\/h\/i`/],
    ['deep-file', 'link-ab', /`srv\/a\/b` as a link.*`srv\/a\/b\/c`/],
    ['hard-h', 'under-h', /`opt\/h` as a hardlink.*`opt\/h\/z`/],
    ['link-l', 'dir-l', /both deliver `opt\/l`|`opt\/l` as a link.*`opt\/l\/sub`/],
    ['file-srv-a', 'deep-file', /`srv\/a` as a file.*`srv\/a\/b\/c`/],
    ['link-srv', 'deep-file', /`srv` as a link.*`srv\/a\/b\/c`/],
  ];
  for (const [a, b, message] of pairs) {
    it(`one transaction: ${a} and ${b}`, () => {
      expectRefused(world, image(), ['install', a, b], { code: 'E_FILE_CONFLICT', message });
    });
  }

  it('one package delivering a file and a path under it', () => {
    expectRefused(world, image(), ['install', 'self-nested'], { code: 'E_MANIFEST_INVALID', message: /`opt\/s\/t` lies under `opt\/s`, which is a file/ });
  });

  it('one package delivering a link and a directory under it', () => {
    expectRefused(world, image(), ['install', 'self-link-dir'], { code: 'E_MANIFEST_INVALID', message: /`opt\/m\/sub` lies under `opt\/m`, which is a link/ });
  });

  const installed: [string, string, RegExp][] = [
    ['link-l', 'under-l', /`opt\/l`, which link-l installed as a link/],
    ['link-out', 'under-out', /`opt\/out`/],
    ['file-f', 'under-f', /`opt\/f`/],
    ['file-f', 'deep-under-f', /`opt\/f`/],
    ['hard-h', 'under-h', /`opt\/h`/],
    ['link-l', 'dir-l', /`opt\/l`/],
    ['deep-file', 'link-ab', /`srv\/a\/b`/],
    ['deep-file', 'file-srv-a', /`srv\/a`/],
    ['deep-file', 'link-srv', /`srv`/],
  ];
  for (const [a, b, message] of installed) {
    it(`installed ${a}, then ${b}`, () => {
      const root = image();
      ok(['--root', root, 'install', a]);
      // A link out of the image already on disk is refused as unsafe before it is a conflict.
      expectRefused(world, root, ['install', b], { code: b === 'under-out' ? 'E_PATH_UNSAFE' : 'E_FILE_CONFLICT', message });
      // Not wedged: the next changing command works.
      ok(['--root', root, 'install', 'plain']);
      ok(['--root', root, 'verify']);
    });
  }
});

const journals = (root: string): string[] => (existsSync(join(root, 'var/lib/zpkg/journal')) ? readdirSync(join(root, 'var/lib/zpkg/journal')) : []);

describe('failures inside apply end with the image as it was', () => {
  for (const at of ['apply:1', 'apply:3', 'apply:4']) {
    it(`an install failing at ${at} is undone at once, with a typed error naming the path`, () => {
      const root = imageWithThreeDir();
      const r = expectRefused(world, root, ['install', 'three'], { code: 'E_IO', message: /`usr\/share\/three\/[a-d]` could not be applied \(putting it in place\): EIO/, env: { ZPKG_FAIL_AT: at } });
      expect(r.json.error.hint ?? '').not.toMatch(/recover/);
      expect(journals(root)).toEqual([]);
      ok(['--root', root, 'install', 'three']);
      ok(['--root', root, 'verify']);
    });
  }

  for (const at of ['apply:2', 'apply:4']) {
    it(`an update failing at ${at} whose undoing fails too is finished by \`recover\``, () => {
      const root = image();
      ok(['--root', root, 'install', 'up=1.0']);
      const before = imageState(root);
      const r = zpkg(['--root', root, '--json', 'update'], { env: { ZPKG_FAIL_AT: `${at},rollback:1` } });
      expect(r.status).not.toBe(0);
      expect(r.json.error.code).toBe('E_IO');
      expect(r.json.error.message).toMatch(/undoing the transaction failed too: the interrupted transaction \w+ \(.* update\) could not be undone: EIO/);
      expect(r.json.error.hint).toMatch(/zpkg recover/);
      expect(journals(root)).toHaveLength(1);
      const rec = ok(['--root', root, '--json', 'recover']);
      expect(rec.json.recovered).toEqual([expect.objectContaining({ command: expect.stringMatching(/ update$/), outcome: 'rolled back', left: [] })]);
      expect(imageState(root)).toEqual(before);
      expect(snapshot(root).filter((l) => l.includes('.zpkg-'))).toEqual([]);
      ok(['--root', root, 'update']);
      expect(readFileSync(join(root, 'etc/up/new'), 'utf8')).toBe('new v2\n');
      ok(['--root', root, 'verify']);
    });
  }

  it('a removal failing midway is undone', () => {
    const root = image();
    ok(['--root', root, 'install', 'three']);
    expectRefused(world, root, ['remove', 'three'], { code: 'E_IO', message: /could not be applied \(removing it\)/, env: { ZPKG_FAIL_AT: 'apply:3' } });
    ok(['--root', root, 'verify']);
  });

  it('recovery that keeps failing keeps the journal and says so with its own code', () => {
    const root = image();
    ok(['--root', root, 'install', 'up=1.0']);
    const before = imageState(root);
    expect(zpkg(['--root', root, 'update'], { env: { ZPKG_FAIL_AT: 'apply:3,rollback:1' } }).status).not.toBe(0);
    const again = zpkg(['--root', root, '--json', 'recover'], { env: { ZPKG_FAIL_AT: 'rollback:2' } });
    expect(again.json.error.code).toBe('E_RECOVERY_FAILED');
    expect(again.json.error.hint).toMatch(/zpkg recover/);
    expect(again.stderr).not.toMatch(/\n\s+at .*:\d+:\d+/);
    expect(journals(root)).toHaveLength(1);
    // Every changing command recovers first: a plain install finishes the job and then does its own.
    ok(['--root', root, 'install', 'plain']);
    ok(['--root', root, 'remove', 'plain']);
    const { tree, db } = imageState(root) as { tree: string[]; db: Record<string, unknown[]> };
    const old = before as { tree: string[]; db: Record<string, unknown[]> };
    expect(tree).toEqual(old.tree);
    expect([db.packages, db.files, db.dirs]).toEqual([old.db.packages, old.db.files, old.db.dirs]);
  });
});

describe('recovery meets whatever kind of file is there', () => {
  /** Kills an install of `three` (or an update of `up`) after N renames of apply, leaving its journal. */
  function killed(root: string, args: string[], at: string): void {
    const r = zpkg(['--root', root, ...args], { env: { ZPKG_CRASH_AT: at } });
    expect(r.signal).toBe('SIGKILL');
    expect(journals(root)).toHaveLength(1);
  }

  it('a directory with content where the transaction put a new file is left alone and reported', () => {
    const root = imageWithThreeDir();
    const before = imageState(root);
    killed(root, ['install', 'three'], 'apply:2');
    const landed = ['a', 'b', 'c'].find((n) => existsSync(join(root, 'usr/share/three', n)))!;
    rmSync(join(root, 'usr/share/three', landed));
    mkdirSync(join(root, 'usr/share/three', landed));
    writeFileSync(join(root, 'usr/share/three', landed, 'mine'), 'an administrator put this here\n');
    const rec = ok(['--root', root, '--json', 'recover']);
    expect(rec.json.recovered[0].outcome).toBe('rolled back');
    expect(rec.json.recovered[0].left).toEqual([`\`usr/share/three/${landed}\` is a directory the transaction did not put there: left as it is`]);
    expect(readFileSync(join(root, 'usr/share/three', landed, 'mine'), 'utf8')).toMatch(/administrator/);
    expect(journals(root)).toEqual([]);
    rmSync(join(root, 'usr/share/three', landed), { recursive: true });
    expect(imageState(root)).toEqual(before);
  });

  it('an empty directory, a FIFO or a link where the old files must come back', () => {
    const root = image();
    ok(['--root', root, 'install', 'up=1.0']);
    const before = imageState(root);
    killed(root, ['update'], 'apply:3');
    // Whatever stands at the updated paths now, the old files come back.
    rmSync(join(root, 'etc/up/one'), { force: true });
    mkdirSync(join(root, 'etc/up/one'));
    rmSync(join(root, 'etc/up/two'), { force: true });
    execFileSync('mkfifo', [join(root, 'etc/up/two')]);
    rmSync(join(root, 'etc/up/new'), { force: true });
    symlinkSync('/dev/zero', join(root, 'etc/up/new'));
    const rec = ok(['--root', root, '--json', 'recover']);
    expect(rec.json.recovered[0]).toEqual(expect.objectContaining({ outcome: 'rolled back', left: [] }));
    expect(imageState(root)).toEqual(before);
    ok(['--root', root, 'verify']);
  });

  it('a temporary that became a directory does not stop recovery', () => {
    const root = imageWithThreeDir();
    const before = imageState(root);
    killed(root, ['install', 'three'], 'apply:1');
    const temps = readdirSync(join(root, 'usr/share/three')).filter((n) => n.includes('.zpkg-'));
    expect(temps.length).toBeGreaterThan(0);
    rmSync(join(root, 'usr/share/three', temps[0]!));
    mkdirSync(join(root, 'usr/share/three', temps[0]!));
    const rec = ok(['--root', root, '--json', 'recover']);
    expect(rec.json.recovered[0].left).toHaveLength(1);
    expect(journals(root)).toEqual([]);
    rmSync(join(root, 'usr/share/three', temps[0]!), { recursive: true });
    expect(imageState(root)).toEqual(before);
  });
});
