/**
 * The four real flists rfs made (test/fixtures/flists): `import-flist --list`
 * agrees inode by inode with their `inode`, `extra` and `block` tables as the
 * sqlite3 tool reads them, its `ls -l` text agrees with Python's
 * stat.filemode, and importing them while their blocks are absent fails with
 * E_BLOCK_MISSING naming the first block in path order, publishing nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { filemodes, FIXTURE_NAMES, fixtureFlist, PATHS_CTE, sqlite } from './helpers/flists.js';
import { ok, tempDir, zpkg } from './helpers/zpkg.js';

let work: string;
const fl: Record<string, string> = {};

beforeAll(() => {
  work = tempDir('zpkg-flist-fixtures-');
  for (const n of FIXTURE_NAMES) fl[n] = fixtureFlist(n, work);
});

describe.each(FIXTURE_NAMES)('the real flist %s.fl', (name) => {
  it('--list --json agrees with the inode, extra and block tables, row by row', () => {
    const listing = ok(['--json', 'import-flist', '--list', fl[name]!]).json;
    const rows = sqlite(
      fl[name]!,
      `${PATHS_CTE} SELECT i.ino, i.parent, i.name, i.size, i.uid, i.gid, i.mode, i.rdev, i.ctime, i.mtime, CAST(e.data AS TEXT) AS target, p.path FROM inode i LEFT JOIN extra e ON e.ino = i.ino JOIN p ON p.ino = i.ino`,
    );
    const blocks = sqlite(fl[name]!, 'SELECT ino, lower(hex(id)) AS id, lower(hex(key)) AS key FROM block ORDER BY rowid');
    expect(listing.inodes).toHaveLength(rows.length);
    const byIno = new Map(listing.inodes.map((i: any) => [i.ino, i]));
    for (const r of rows) {
      const i = byIno.get(r.ino) as any;
      expect(i, `inode ${r.ino}`).toBeDefined();
      expect({ ino: i.ino, parent: i.parent, name: i.name, size: i.size, uid: i.uid, gid: i.gid, mode: i.mode, rdev: i.rdev, ctime: i.ctime, mtime: i.mtime, target: i.target ?? null, path: i.path }).toEqual({
        ...r,
        path: `/${r.path}`,
      });
      expect(i.blocks).toEqual(blocks.filter((b) => b.ino === r.ino).map((b) => ({ id: b.id, key: b.key })));
    }
    expect(listing.routes).toEqual(sqlite(fl[name]!, 'SELECT start, "end", url FROM route'));
    expect(listing.routes).toEqual([{ start: 0, end: 255, url: 'dir:///tmp/store0' }]);
    // Listed in path order (what ls -R walks), the root first.
    const paths = listing.inodes.map((i: any) => i.path);
    expect(paths[0]).toBe('/');
    expect([...paths].sort((a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(paths);
  });

  it('prints the tree as ls -l would: one line per inode, the mode column as Python’s stat.filemode', () => {
    const listing = ok(['--json', 'import-flist', '--list', fl[name]!]).json;
    const text = ok(['import-flist', '--list', fl[name]!]).stdout.trimEnd().split('\n');
    const lines = text.filter((l) => !l.startsWith('route ') && !l.startsWith('tag '));
    expect(lines).toHaveLength(listing.inodes.length);
    const modes = filemodes(listing.inodes.map((i: any) => i.mode));
    lines.forEach((line, k) => {
      const i = listing.inodes[k];
      expect(line.split(' ')[0]).toBe(modes[k]);
      expect(line).toContain(` ${i.uid} ${i.gid} `);
      expect(line.endsWith(i.target === undefined ? ` ${i.path}` : ` ${i.path} -> ${i.target}`)).toBe(true);
      expect(line).toContain(new Date(i.mtime * 1000).toISOString().slice(0, 16).replace('T', ' '));
    });
    expect(text[0]).toBe('route 00-ff dir:///tmp/store0');
  });

  it('import with the blocks absent fails naming the first missing block, and publishes nothing', () => {
    const repo = join(work, `repo-${name}`);
    ok(['repo', 'create', repo]);
    const before = readFileSync(join(repo, 'root.json'));
    const empty = tempDir('zpkg-empty-store-');
    const r = zpkg(['--json', 'import-flist', fl[name]!, '--name', name, '--version', '1.0', '--store', `dir://${empty}`, '--repo', repo]);
    // The first block of the first file in path order (byte order, as SQLite orders text).
    const first = sqlite(fl[name]!, `${PATHS_CTE} SELECT lower(hex(b.id)) AS id, p.path FROM block b JOIN p ON p.ino = b.ino ORDER BY CAST(p.path AS BLOB), b.rowid LIMIT 1`)[0]!;
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_BLOCK_MISSING', message: expect.stringContaining(`block ${first.id} (${fl[name]}: ${first.path}, block 1 of`) });
    expect(r.json.error.message).toContain(`dir://${empty} does not hold it`);
    expect(readFileSync(join(repo, 'root.json'))).toEqual(before);
    expect(ok(['--json', 'repo', 'list', repo]).json.packages).toEqual([]);
  });
});

describe('names of imported flists', () => {
  it('a hub name NAME-VERSION.fl gives the package name and version; one that does not parse is refused before any block is fetched', () => {
    const hub = fixtureFlist('hello', work, 'hello-world-latest.fl');
    const r = zpkg(['--json', 'import-flist', hub]);
    expect(r.status).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_NAME_INVALID', message: expect.stringMatching(/`hello-world-latest` does not parse as NAME-VERSION/), hint: expect.stringMatching(/--version V/) });
    const versioned = fixtureFlist('hello', work, 'hello-world-1.0.flist');
    const empty = tempDir('zpkg-empty-store-');
    // Past the name: it gets as far as the blocks.
    expect(zpkg(['--json', 'import-flist', versioned, '--store', empty]).json.error.code).toBe('E_BLOCK_MISSING');
    const upper = fixtureFlist('hello', work, 'Hello-1.0.fl');
    expect(zpkg(['--json', 'import-flist', upper]).json.error).toMatchObject({ code: 'E_NAME_INVALID', message: expect.stringMatching(/`Hello` is not a valid package name/) });
    expect(zpkg(['--json', 'import-flist', hub, '--name', 'hello', '--version', 'latest']).json.error.code).toBe('E_VERSION_INVALID');
  });

  it('--name and --version name one package: refused with several flists (usage)', () => {
    const r = zpkg(['--json', 'import-flist', fl.hello!, fl.alpine!, '--name', 'x']);
    expect([r.status, r.json.error.code]).toEqual([2, 'E_USAGE']);
  });

  it('--level that is not a zstd level is a usage error before any block is fetched', () => {
    for (const level of ['abc', '0', '20', '2.5']) {
      const r = zpkg(['--json', 'import-flist', fl.hello!, '--name', 'hello', '--version', '1', '--level', level]);
      expect([r.status, r.json.error.code, r.json.error.message], level).toEqual([2, 'E_USAGE', expect.stringContaining(`--level \`${level}\``)]);
    }
  });
});
