/**
 * zpkg is protected from removal (issue 15): a change that would remove the
 * package `zpkg` — by name, as a dependency `--cascade` takes along, or from a
 * `sync` whose list lacks it — is refused with E_PROTECTED and changes
 * nothing, unless `--allow-protected` says so. An upgrade of zpkg is no
 * removal. Here `zpkg` is a plain package without a launcher (so no
 * self-test runs); test/bare-root.test.ts covers the real bundle. (A plain
 * `remove zpkg` while another package depends on it is refused first by
 * E_DEPENDENTS, as any such removal.)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ok, snapshot, tempDir, TRUST, writePackage, zpkg } from './helpers/zpkg.js';

let work: string;
let image: string;

describe('zpkg is protected from removal', () => {
  beforeAll(() => {
    work = tempDir('zpkg-protected-');
    image = join(work, 'image');
    const repo = join(work, 'repo');
    ok(['repo', 'create', repo]);
    writePackage(join(work, 'zpkg-1'), { name: 'zpkg', version: '1' }, { 'usr/share/zpkg-marker': '1\n' });
    writePackage(join(work, 'zpkg-2'), { name: 'zpkg', version: '2' }, { 'usr/share/zpkg-marker': '2\n' });
    writePackage(join(work, 'tool'), { name: 'tool', version: '1', depends: ['zpkg'] }, { 'usr/share/tool': 't\n' });
    ok(['build', join(work, 'zpkg-1'), join(work, 'tool'), '--repo', repo]);
    ok(['--root', image, 'remote', 'add', 'main', repo, ...TRUST]);
    ok(['--root', image, 'install', 'zpkg=1', 'tool']);
    ok(['build', join(work, 'zpkg-2'), '--repo', repo]);
    ok(['--root', image, 'refresh']);
  });

  const refused = (args: string[]): void => {
    const before = snapshot(image);
    const r = zpkg(['--root', image, '--json', ...args]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.json.error).toMatchObject({ code: 'E_PROTECTED', message: expect.stringMatching(/^zpkg 1 is protected \(zpkg itself\): `[^`]+` would remove it$/), hint: expect.stringContaining('--allow-protected') });
    expect(snapshot(image)).toEqual(before);
  };

  it('refuses its removal by name, through --cascade, and by a sync that lacks it', () => {
    refused(['remove', 'tool', 'zpkg']);
    refused(['remove', 'zpkg', '--cascade']);
    refused(['remove', 'zpkg', '--force']);
    const list = join(work, 'only-tool');
    writeFileSync(list, 'tool 1\n');
    refused(['sync', list, '--force']);
    expect(readFileSync(join(image, 'usr/share/zpkg-marker'), 'utf8')).toBe('1\n');
  });

  it('upgrades it (no removal)', () => {
    ok(['--root', image, 'update', 'zpkg']);
    expect(readFileSync(join(image, 'usr/share/zpkg-marker'), 'utf8')).toBe('2\n');
  });

  it('removes it when told explicitly', () => {
    const r = ok(['--root', image, '--json', 'remove', 'zpkg', '--cascade', '--allow-protected']);
    expect(r.json.remove.map((p: { name: string }) => p.name).sort()).toEqual(['tool', 'zpkg']);
    expect(existsSync(join(image, 'usr/share/zpkg-marker'))).toBe(false);
  });
});
