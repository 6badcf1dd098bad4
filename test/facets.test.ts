// facets: the builder tags optional content by path rules and recipe globs; an image leaves out what its facets turn off; change-facet removes or writes exactly those paths in one transaction; verify knows they are absent on purpose.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, writePackage, zpkg, TRUST } from './helpers/zpkg.js';

const FILES = {
  'usr/bin/app': { content: '#!/bin/sh\n', mode: 0o755 },
  'usr/share/doc/app/README': 'read me, 20 bytes..\n',
  'usr/share/man/man1/app.1': '.TH APP 1\n',
  'usr/share/locale/de/LC_MESSAGES/app.mo': 'de\n',
  'usr/share/locale/en/LC_MESSAGES/app.mo': 'en\n',
  'usr/include/app.h': '#pragma once\n',
  'usr/share/app/examples/ex1': 'example\n',
};

function image(config?: string): { work: string; repo: string; root: string } {
  const work = tempDir();
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  ok(['build', writePackage(join(work, 'src'), { name: 'app', version: '1', facets: { 'usr/share/app/examples/**': ['examples', 'doc'] } }, FILES), '--repo', repo]);
  const root = join(work, 'img');
  if (config !== undefined) {
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), config);
  }
  ok(['--root', root, 'remote', 'add', 'main', repo, ...TRUST]);
  return { work, repo, root };
}

const present = (root: string): string[] => Object.keys(FILES).filter((p) => existsSync(join(root, p))).sort();

describe('facets', () => {
  it('an image whose zpkg.yaml turns doc and every locale but en off installs without them, and verify counts them absent on purpose', () => {
    const { root } = image("facets:\n  doc: false\n  'locale.*': false\n  locale.en: true\n");
    ok(['--root', root, 'install', 'app']);
    expect(present(root)).toEqual(['usr/bin/app', 'usr/include/app.h', 'usr/share/app/examples/ex1', 'usr/share/locale/en/LC_MESSAGES/app.mo', 'usr/share/man/man1/app.1']);
    // examples carries `examples` and `doc`: one enabled facet is enough (IPS), and `examples` is not turned off.
    expect(existsSync(join(root, 'usr/share/app/examples/ex1'))).toBe(true);
    const v = ok(['--root', root, '--json', 'verify']).json;
    expect(v.problems).toEqual([]);
    expect(v.absentByFacet).toBeGreaterThanOrEqual(2);
    // What the facets left out is not on disk, and nothing else is unowned.
    expect(ok(['--root', root, '--json', 'verify', '--unowned', '/usr']).json.unowned).toEqual([]);
  });

  it('change-facet removes and writes exactly the facet\'s paths in one transaction, records the setting, and a dry run changes nothing', () => {
    const { root } = image();
    ok(['--root', root, 'install', 'app']);
    expect(present(root)).toEqual(Object.keys(FILES).sort());
    const before = snapshot(root);
    const dry = ok(['--root', root, '--json', 'change-facet', '-n', 'man=false', 'devel=false']).json;
    expect(dry.packages).toEqual([{ package: 'app', added: 0, addedBytes: 0, removed: 2, removedBytes: 23 }]);
    expect(snapshot(root)).toEqual(before);
    const off = ok(['--root', root, '--json', 'change-facet', 'man=false', 'devel=false']).json;
    expect(off.facets).toEqual({ man: false, devel: false });
    expect(present(root)).toEqual(Object.keys(FILES).filter((p) => !p.startsWith('usr/share/man') && !p.startsWith('usr/include')).sort());
    // Directories tagged with the facet go with it; the shared parent a rule never tags stays.
    expect(existsSync(join(root, 'usr/share/man/man1'))).toBe(false);
    expect(existsSync(join(root, 'usr/share/man'))).toBe(true);
    const v = ok(['--root', root, '--json', 'verify']).json;
    expect(v.problems).toEqual([]);
    expect(v.absentByFacet).toBe(3); // the man page, its man1 directory, the header
    // The setting holds for later transactions: a reinstalled package still leaves man pages out.
    const history = ok(['--root', root, '--json', 'history']).json.transactions;
    expect(history).toHaveLength(2);
    // Turning one back on writes exactly its paths; `default` drops a setting.
    const on = ok(['--root', root, '--json', 'change-facet', 'man=default']).json;
    expect(on.packages).toEqual([{ package: 'app', added: 1, addedBytes: 10, removed: 0, removedBytes: 0 }]);
    expect(on.facets).toEqual({ devel: false });
    expect(existsSync(join(root, 'usr/share/man/man1/app.1'))).toBe(true);
    expect(existsSync(join(root, 'usr/include/app.h'))).toBe(false);
    // Nothing to do: the settings are recorded, no transaction.
    expect(ok(['--root', root, '--json', 'change-facet', 'locale.fr=false']).json.packages).toEqual([]);
    expect(ok(['--root', root, '--json', 'history']).json.transactions).toHaveLength(3);
    expect(ok(['--root', root, '--json', 'change-facet']).json.facets).toEqual({ devel: false, 'locale.fr': false });
  });

  it('refuses a malformed setting (argv, exit 2) and a malformed facets: in zpkg.yaml, changing nothing', () => {
    const { root } = image();
    ok(['--root', root, 'install', 'app']);
    const before = snapshot(root);
    const bad = zpkg(['--root', root, '--json', 'change-facet', 'doc=maybe']);
    expect(bad.status).toBe(2);
    expect(bad.json.error.code).toBe('E_USAGE');
    expect(zpkg(['--root', root, '--json', 'change-facet', 'Doc!=false']).json.error.code).toBe('E_USAGE');
    mkdirSync(join(root, 'etc/zpkg'), { recursive: true });
    writeFileSync(join(root, 'etc/zpkg/zpkg.yaml'), 'facets:\n  doc: no-thanks\n');
    const cfg = zpkg(['--root', root, '--json', 'change-facet', 'man=false']);
    expect(cfg.status).toBe(1);
    expect(cfg.json.error.code).toBe('E_CONFIG_INVALID');
    expect(cfg.json.error.message).toContain('doc');
    expect(snapshot(root, (p) => p.startsWith('etc'))).toEqual(before);
  });

  it('a manifest with a malformed facet is refused', () => {
    const work = tempDir();
    const src = writePackage(join(work, 'src'), { name: 'bad', version: '1', facets: { 'usr/**': 'Not A Facet' } }, { 'usr/x': 'x' });
    const r = zpkg(['--json', 'build', src]);
    expect(r.status).toBe(1);
    expect(r.json.error.code).toBe('E_RECIPE_INVALID');
  });
});
