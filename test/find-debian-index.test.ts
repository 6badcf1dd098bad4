// The one rule that picks the real Debian index (scripts/debian-index.mjs), on
// made-up apt list directories: the tests, the benchmarks and pretest all read it.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { baseSuiteOf, findPackagesIndex } from '#debian-index';

const ROOT = mkdtempSync(join(tmpdir(), 'zpkg-find-index-'));
let n = 0;

function lists(names: string[]): string {
  const dir = join(ROOT, `lists-${n++}`);
  mkdirSync(join(dir, 'partial'), { recursive: true });
  for (const name of names) writeFileSync(join(dir, name), '');
  return dir;
}

const find = (dir: string, env: Record<string, string> = {}) => findPackagesIndex({ lists: dir, env });
const MAIN = 'deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages';

describe('findPackagesIndex', () => {
  it('takes the base suite, never -updates, -security or an old-style suite/updates', () => {
    const dir = lists([
      'deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.lz4',
      'security.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.lz4',
      'security.debian.org_dists_stretch_updates_main_binary-amd64_Packages',
      `${MAIN}.lz4`,
      'deb.debian.org_debian_dists_bookworm_InRelease',
      'deb.debian.org_debian_dists_bookworm_contrib_binary-amd64_Packages.lz4',
      'deb.debian.org_debian_dists_bookworm_main_binary-arm64_Packages.lz4',
      'deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en.lz4',
    ]);
    expect(find(dir)).toBe(join(dir, `${MAIN}.lz4`));
  });

  it('is undefined when only update suites are there (they are not the archive)', () => {
    expect(find(lists(['deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages']))).toBeUndefined();
    expect(find(join(ROOT, 'no-such-dir'))).toBeUndefined();
  });

  it('reads plain, .lz4, .gz and .zst lists, not .xz (zpkg cannot decompress it)', () => {
    for (const ext of ['', '.lz4', '.gz', '.zst']) {
      const dir = lists([`${MAIN}${ext}`]);
      expect(find(dir)).toBe(join(dir, `${MAIN}${ext}`));
    }
    expect(find(lists([`${MAIN}.xz`]))).toBeUndefined();
  });

  it('picks the same file for everyone when several base suites are there', () => {
    const dir = lists(['deb.debian.org_debian_dists_trixie_main_binary-amd64_Packages', `${MAIN}.gz`]);
    expect(find(dir)).toBe(join(dir, `${MAIN}.gz`));
  });

  it('ZPKG_PACKAGES_INDEX wins when it names a file', () => {
    const dir = lists([MAIN]);
    const mine = join(dir, 'my-Packages');
    writeFileSync(mine, '');
    expect(find(dir, { ZPKG_PACKAGES_INDEX: mine })).toBe(mine);
    expect(find(dir, { ZPKG_PACKAGES_INDEX: join(dir, 'missing') })).toBe(join(dir, MAIN));
  });

  it('names the base suite of a list', () => {
    expect(baseSuiteOf(`/var/lib/apt/lists/${MAIN}.lz4`)).toBe('bookworm');
    expect(baseSuiteOf('x_dists_bookworm-backports_main_binary-amd64_Packages')).toBeUndefined();
  });
});
