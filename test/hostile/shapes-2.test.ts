/**
 * Issue 16 §4, part 16s: the manifest, zpkg.yaml, the catalog's weak
 * relations and the facet and mediator rows of state.db go through valibot
 * schemas. A document of the wrong shape is a typed error naming the thing,
 * where in it and why — no stack trace, the image and the sentinel unchanged.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { parseClause } from '../../src/core/relation.js';
import { validateManifest } from '../../src/core/manifest.js';
import { decodeCatalog, encodeCatalog } from '../../src/repo/catalog-codec.js';
import { compress, decompress } from '../../src/repo/compress.js';
import { craft } from '../helpers/packs.js';
import { expectRefused, fileAction, hostileImage, hostileWorld, manifestOf, thrown } from '../helpers/hostile.js';
import { ok } from '../helpers/zpkg.js';
import { writeFileSync, mkdirSync } from 'node:fs';

const world = hostileWorld('zpkg-hostile-shapes2-');
const plain = Buffer.from('plain\n');
const ready = (async () => {
  await craft(world.repo, manifestOf('plain', [fileAction('usr/share/plain', plain)]), [plain]);
})();
let count = 0;

describe('the manifest: one valibot schema, refusals naming the manifest, the action and the field', () => {
  const D = `sha256:${'b'.repeat(64)}`;
  const cases: [string, unknown[], Record<string, unknown>, RegExp][] = [
    ['an action that is a list', [['file', 'etc/a']], {}, /action 0 is not an object/],
    ['an action whose type is `__proto__`', [JSON.parse('{"__proto__": "file", "path": "etc/a"}')], {}, /action 0 has unknown type `undefined`/],
    ['an action with an own `constructor` key', [JSON.parse('{"type": "dir", "path": "etc", "mode": "0755", "owner": "root", "group": "root", "constructor": 1}')], {}, /action 0 \(dir `etc`\): unknown key `constructor`/],
    ['a user whose uid is negative', [{ type: 'user', name: 'svc', uid: -1 }], {}, /action 0 \(user `svc`\): `uid` must be an integer id/],
    ['a link whose target is a number', [{ type: 'link', path: 'etc/l', target: 7, owner: 'root', group: 'root' }], {}, /action 0 \(link `etc\/l`\): target must be a string/],
    ['a service with a `__proto__` key', [], { services: [JSON.parse('{"name": "web", "restart": "always", "__proto__": {}}')] }, /service `web`: unknown key `__proto__`/],
    ['a service that is a string', [], { services: ['web'] }, /service 0: `name` is missing or invalid/],
    ['essential of "yes"', [], { essential: 'yes' }, /`essential` must be true or false/],
  ];
  for (const [i, [what, actions, extra, message]] of cases.entries()) {
    it(`${what}: install refuses with E_MANIFEST_INVALID, nothing changes`, async () => {
      await ready;
      const name = `bad-${i}`;
      await craft(world.repo, manifestOf(name, actions, extra), []);
      const root = hostileImage(world, `m-${++count}`);
      ok(['--root', root, 'install', 'plain']);
      expectRefused(world, root, ['install', name], { code: 'E_MANIFEST_INVALID', message });
    });
  }

  const D2 = `sha256:${'b'.repeat(64)}`;
  // Cases the test publisher (craft) cannot carry into a repository — it reads these fields itself — checked on the validator directly.
  const direct: [string, unknown[], Record<string, unknown>, RegExp][] = [
    ['a file whose size is a string', [{ type: 'file', path: 'etc/a', mode: '0644', owner: 'root', group: 'root', size: '3', digest: D2 }], {}, /^manifest of `x`: action 0 \(file `etc\/a`\): size must be a non-negative integer$/],
    ['an action that is null', [null], {}, /^manifest of `x`: action 0 is not an object$/],
    ['a hook phase `constructor`', [], { hooks: JSON.parse(`{"constructor": {"digest": "${D2}", "size": 1}}`) }, /^manifest of `x`: unknown hook phase `constructor`/],
    ['a hook phase `__proto__`', [], { hooks: JSON.parse(`{"__proto__": {"digest": "${D2}", "size": 1}}`) }, /^manifest of `x`: unknown hook phase `__proto__`/],
    ['a hook whose size is missing', [], { hooks: { 'post-install': { digest: D2 } } }, /^manifest of `x`: hook `post-install` must be \{digest, size\[, timeout\]\}$/],
    ['depends that is a string', [], { depends: 'libc6' }, /^manifest of `x`: `depends` must be a list of relations$/],
    ['a depends entry that is a number', [], { depends: [6] }, /^manifest of `x`: `depends` entry 0 must be a string$/],
  ];
  for (const [what, actions, extra, message] of direct) {
    it(`${what}: E_MANIFEST_INVALID naming the manifest, the place and the field`, () => {
      const err = thrown(() => validateManifest(manifestOf('x', actions, extra)));
      expect(err.code).toBe('E_MANIFEST_INVALID');
      expect(err.message).toMatch(message);
    });
  }

  it('a name that is not a string is named without a package', () => {
    expect(thrown(() => validateManifest({ ...manifestOf('x', []), name: ['x'] })).message).toBe('manifest: `name` must be a string');
  });
  it('a manifest that is a list or null', () => {
    expect(thrown(() => validateManifest([])).message).toBe('manifest: it is not a JSON object');
    expect(thrown(() => validateManifest(null)).message).toBe('manifest: it is not a JSON object');
  });
});

describe('zpkg.yaml: one schema of its known keys', () => {
  const cases: [string, string, RegExp][] = [
    ['a top-level `constructor` key', 'constructor: 1\n', /unknown key `constructor` \(known: hooks, services/],
    ['a top-level `__proto__` key', '__proto__: {}\n', /unknown key `__proto__`/],
    ['hooks.constructor', 'hooks:\n  constructor: 1\n', /unknown key `hooks.constructor` \(known: mode, timeout\)/],
    ['services as a list', 'services: [zinit]\n', /`services` must be a mapping/],
    ['facets as a list', 'facets: [doc]\n', /`facets` must be a mapping/],
    ['protected with an empty name', 'protected: [zos, ""]\n', /`protected` must be a list of package names/],
    ['recommends of "yes"', 'recommends: "yes"\n', /`recommends` must be true or false/],
    ['exclude as a mapping', 'exclude: {foo: 1}\n', /`exclude` must be a list of relations/],
    ['the file is a list', '- hooks\n', /the file must be a mapping of `hooks`/],
    ['services.zinit-socket relative', 'services:\n  zinit-socket: run/zinit.sock\n', /`services.zinit-socket` must be an absolute path/],
  ];
  for (const [what, yaml, message] of cases) {
    it(`${what}: E_CONFIG_INVALID, nothing changes`, async () => {
      await ready;
      const root = hostileImage(world, `c-${++count}`);
      mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
      writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), yaml);
      expectRefused(world, root, ['install', 'plain'], { code: 'E_CONFIG_INVALID', message });
    });
  }
});

describe("the catalog's weak relations section", () => {
  /** A format-2 catalog of one entry with a recommends, its weak section replaced by `json`. */
  function withWeak(json: string): Buffer {
    const entry = { name: 'a', version: '1', arch: 'all', summary: '', depends: [], conflicts: [], provides: [], replaces: [], recommends: [parseClause('b')], size: 1, installedSize: 1 };
    const raw = decompress(encodeCatalog([entry]));
    const original = Buffer.from('[[0,["b"],[]]]');
    const start = raw.indexOf(original);
    expect(raw.readUInt32LE(8 + 4 * 13)).toBe(original.length);
    const body = Buffer.from(json);
    // The section is followed by zero padding to a multiple of 8 bytes.
    const out = Buffer.concat([raw.subarray(0, start), body, Buffer.alloc((8 - ((start + body.length) % 8)) % 8)]);
    out.writeUInt32LE(body.length, 8 + 4 * 13);
    return compress(out);
  }
  it('the untouched section decodes', () => {
    expect(decodeCatalog(withWeak('[[0,["b"],[]]]'), 'test')[0]!.recommends).toHaveLength(1);
  });
  const cases: [string, string, RegExp][] = [
    ['an object', '{"0": [["b"], []]}', /its weak relations are not a list/],
    ['a row that is an object', '[{"0": 0}]', /name a row out of order or out of range/],
    ['a row of four items', '[[0, ["b"], [], []]]', /name a row out of order or out of range/],
    ['a fractional row', '[[0.5, ["b"], []]]', /name a row out of order or out of range/],
    ['a row past the end', '[[1, ["b"], []]]', /name a row out of order or out of range/],
    ['recommends that is a string', '[[0, "b", []]]', /a weak relation is not a list of clauses/],
    ['a clause that is a number', '[[0, [7], []]]', /a weak relation is not a list of clauses/],
    ['a clause that does not parse', '[[0, ["b (>> )"], []]]', /a weak relation cannot be read/],
    ['null', 'null', /its weak relations are not a list/],
  ];
  for (const [what, json, message] of cases) {
    it(`${what}: E_REPO_INVALID`, () => {
      const err = thrown(() => decodeCatalog(withWeak(json), 'test'));
      expect(err.code).toBe('E_REPO_INVALID');
      expect(err.message).toMatch(message);
    });
  }
});

describe('state.db rows: facet settings and mediator choices', () => {
  const rows: [string, string, string][] = [
    ['facets', '[true]', 'facet settings'],
    ['facets', '{"doc": "no"}', 'facet settings'],
    ['facets', '{"Not A Facet": true}', 'facet settings'],
    ['facets', 'not json', 'facet settings'],
    ['mediators', '["sh"]', 'mediator choices'],
    ['mediators', '{"sh": 7}', 'mediator choices'],
    ['mediators', '{"sh": "../../bin"}', 'mediator choices'],
  ];
  for (const [key, value, what] of rows) {
    it(`meta \`${key}\` = ${value}: E_STATE_CORRUPT naming the row`, async () => {
      await ready;
      const root = hostileImage(world, `s-${++count}`);
      ok(['--root', root, 'install', 'plain']);
      const db = new Database(join(root, 'var/lib/zpkg/state.db'));
      db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
      db.close();
      expectRefused(world, root, ['remove', 'plain'], { code: 'E_STATE_CORRUPT', message: new RegExp(what) });
    });
  }
});

describe('a stored HTTP validator of the wrong shape counts as none (a full read, not a crash)', () => {
  it('garbage, a list, or fields of the wrong type: readFresh reads the file whole, sending no condition', async () => {
    const { createServer } = await import('node:http');
    const { HttpBackend } = await import('../../src/repo/http-backend.js');
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers['if-none-match'] ?? req.headers['if-modified-since']);
      res.writeHead(200, { etag: '"v1"', 'content-length': '5' });
      res.end('hello');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as { port: number }).port;
      const backend = new HttpBackend(`http://127.0.0.1:${port}/repo`);
      for (const validator of ['not json', '[1, 2]', '{"etag": 7}', 'null', '{"lastModified": {}}']) {
        const r = await backend.readFresh('root.json', validator);
        expect(r.status, validator).toBe('read');
      }
      expect(seen).toEqual([undefined, undefined, undefined, undefined, undefined]);
      const good = await backend.readFresh('root.json', JSON.stringify({ etag: '"v1"' }));
      expect(good.status).toBe('read');
      expect(seen.at(-1)).toBe('"v1"');
      await backend.close();
    } finally {
      server.close();
    }
  });
});
