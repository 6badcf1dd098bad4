/**
 * Whether an installed package is essential is recorded in state.db when it
 * lands (schema 6: packages.essential), so `remove` no longer reads every
 * installed manifest to learn which packages are protected (a 100,000-path
 * manifest took 0.33 s of every removal). An image of schema 5 is migrated
 * with the column filled from its cached manifests; where none is cached,
 * the column stays NULL and the manifest is read when asked, as before.
 * Real repository, real images, real SQLite.
 */
import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { manifestCachePath } from '../src/image/cache.js';
import { SCHEMA_VERSION } from '../src/image/schema.js';
import { ok, snapshot, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

const work = tempDir('zpkg-essential-column-');
const repo = join(work, 'repo');
let serial = 0;

beforeAll(() => {
  ok(['repo', 'create', repo]);
  writePackage(join(work, 'core'), { name: 'core', version: '1', essential: true }, { 'usr/share/core/a': 'core\n' });
  writePackage(join(work, 'app'), { name: 'app', version: '1' }, { 'usr/share/app/a': 'app\n' });
  ok(['build', join(work, 'core'), join(work, 'app'), '--repo', repo]);
});

function installed(): { root: string; db: string } {
  const root = join(work, `image-${++serial}`);
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  ok(['--root', root, 'install', 'core', 'app']);
  return { root, db: join(root, 'var/lib/zpkg/state.db') };
}

const column = (db: string): Record<string, number | null> => {
  const d = new Database(db, { readonly: true });
  try {
    return Object.fromEntries((d.prepare('SELECT name, essential FROM packages').all() as { name: string; essential: number | null }[]).map((r) => [r.name, r.essential]));
  } finally {
    d.close();
  }
};

/** The cached manifest of an installed package, by its digest in the state. */
function cachedManifest(root: string, db: string, name: string): string {
  const d = new Database(db, { readonly: true });
  try {
    return manifestCachePath(join(root, 'var/lib/zpkg/cache'), d.prepare('SELECT manifest FROM packages WHERE name = ?').pluck().get(name) as `sha256:${string}`);
  } finally {
    d.close();
  }
}

/** `remove core` is refused, and the image's files stay as they were (SQLite's -wal and -shm come and go with connections). */
function refusedAsProtected(root: string): void {
  const files = (): string[] => snapshot(root, (rel) => /^var\/lib\/zpkg\/state\.db-(wal|shm)$/.test(rel));
  const before = files();
  const r = zpkg(['--root', root, '--json', 'remove', 'core']);
  expect(r.status, r.stderr).toBe(1);
  expect(r.json.error).toMatchObject({ code: 'E_PROTECTED', message: expect.stringMatching(/^core 1 is protected \(essential\)/) });
  expect(files()).toEqual(before);
}

/** Takes the state back to schema 5: no essential column. */
function toSchema5(db: string): void {
  const d = new Database(db);
  d.exec("ALTER TABLE packages DROP COLUMN essential; UPDATE meta SET value = '5' WHERE key = 'schema';");
  d.close();
}

describe('packages.essential', () => {
  it('is recorded when a package lands, and protects it without its cached manifest', () => {
    const { root, db } = installed();
    expect(column(db)).toEqual({ core: 1, app: 0 });
    // With its manifest gone from the cache, only the state can say core is essential.
    rmSync(cachedManifest(root, db, 'core'));
    refusedAsProtected(root);
    ok(['--root', root, 'remove', 'app']);
  });

  it('an image of schema 5 is migrated with the column filled from the cached manifests', () => {
    const { root, db } = installed();
    toSchema5(db);
    ok(['--root', root, 'list']);
    expect(column(db)).toEqual({ core: 1, app: 0 });
    const d = new Database(db, { readonly: true });
    expect(d.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get()).toBe(String(SCHEMA_VERSION));
    d.close();
    refusedAsProtected(root);
  });

  it('where no manifest was cached at the migration, stays NULL, and the manifest is read when asked', () => {
    const { root, db } = installed();
    toSchema5(db);
    const manifest = cachedManifest(root, db, 'core');
    const bytes = readFileSync(manifest);
    rmSync(manifest);
    ok(['--root', root, 'list']);
    expect(column(db)).toEqual({ core: null, app: 0 });
    writeFileSync(manifest, bytes);
    refusedAsProtected(root);
  });
});
