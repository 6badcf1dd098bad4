/**
 * A small zos-like repository for the catalogue tests, built and published by
 * the real binary: a base, libraries in two versions, a program with a hook
 * and a dependency with alternatives, zinit services (containerd, mycelium),
 * an account, a virtual name, a package whose summary is HTML meant to run,
 * one with a dependency nothing satisfies, and two releases of a release set
 * that upgrade, add and remove packages.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, writePackage } from './zpkg.js';

export const EVIL_SUMMARY = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> & "quotes"';

interface Spec {
  recipe: Record<string, unknown>;
  files: Parameters<typeof writePackage>[2];
  hooks?: Record<string, string>;
}

const bin = (kib: number): { content: Buffer; mode: number } => ({ content: randomBytes(kib * 1024), mode: 0o755 });
const zinit = (exec: string): string => `exec: ${exec}\ntest: pgrep ${exec.split(' ')[0]}\n`;

const PACKAGES: Spec[] = [
  { recipe: { name: 'zos-base', version: '1.0', summary: 'the Zero-OS base files' }, files: { 'etc/os-release': 'NAME=zos\n' } },
  { recipe: { name: 'libgreet', version: '1.0', summary: 'a greeting library', license: 'LGPL-2.1' }, files: { 'usr/lib/libgreet.so.1': bin(40) } },
  { recipe: { name: 'libgreet', version: '1.1', summary: 'a greeting library', license: 'LGPL-2.1' }, files: { 'usr/lib/libgreet.so.1': bin(44) } },
  {
    recipe: { name: 'hello', version: '2.0', summary: 'greets whoever runs it', description: 'A friendly program.\nIt says hello.', depends: ['libgreet (>= 1.0) | greeting-lib', 'zos-base'], hooks: { 'post-install': 'hooks/post-install.sh' } },
    files: { 'usr/bin/hello': { content: '#!/bin/sh\necho hello\n', mode: 0o755 }, 'usr/share/doc/hello/README': 'hello\n' },
    hooks: { 'hooks/post-install.sh': '#!/bin/sh\necho installed\n' },
  },
  { recipe: { name: 'runc', version: '1.1.4', summary: 'CLI tool for spawning containers', license: 'Apache-2.0', depends: ['zos-base'] }, files: { 'usr/bin/runc': bin(120) } },
  {
    recipe: { name: 'containerd', version: '1.6.18', summary: 'container runtime', license: 'Apache-2.0', depends: ['runc (>= 1.1)', 'zos-base'], services: [{ name: 'containerd', restart: 'on-upgrade' }] },
    files: { 'usr/bin/containerd': bin(300), 'etc/zinit/containerd.yaml': zinit('containerd') },
  },
  {
    recipe: { name: 'containerd', version: '1.7.0', summary: 'container runtime', license: 'Apache-2.0', depends: ['runc (>= 1.1)', 'zos-base'], services: [{ name: 'containerd', restart: 'on-upgrade' }] },
    files: { 'usr/bin/containerd': bin(340), 'etc/zinit/containerd.yaml': zinit('containerd') },
  },
  {
    recipe: { name: 'mycelium', version: '0.7.3', summary: 'end-to-end encrypted overlay network', license: 'Apache-2.0', depends: ['zos-base'], services: [{ name: 'mycelium', restart: 'always' }], users: [{ name: 'mycelium' }] },
    files: { 'usr/bin/mycelium': bin(200), 'etc/zinit/mycelium.yaml': zinit('mycelium --peers tcp://a') },
  },
  { recipe: { name: 'tinymail', version: '1.0', summary: 'a tiny mail agent', provides: ['mail-agent'], conflicts: ['othermail'] }, files: { 'usr/sbin/tinymail': bin(8) } },
  { recipe: { name: 'evil', version: '1.0', summary: EVIL_SUMMARY, description: `${EVIL_SUMMARY}\n<b>bold?</b>`, license: '<i>MIT</i>' }, files: { 'usr/share/evil/<b>x</b>.txt': 'x\n' } },
  { recipe: { name: 'needs-missing', version: '1.0', summary: 'depends on something nobody offers', depends: ['missing-thing (>= 2)', 'mail-agent'] }, files: { 'usr/bin/needs-missing': bin(1) } },
  {
    recipe: { name: 'zos-release', version: '3.10.0', summary: 'Zero-OS runtime release', depends: ['zos-base (= 1.0)', 'libgreet (= 1.0)', 'hello (= 2.0)', 'runc (= 1.1.4)', 'containerd (= 1.6.18)', 'tinymail (= 1.0)'] },
    files: {},
  },
  {
    recipe: { name: 'zos-release', version: '3.11.0', summary: 'Zero-OS runtime release', depends: ['zos-base (= 1.0)', 'libgreet (= 1.1)', 'hello (= 2.0)', 'runc (= 1.1.4)', 'containerd (= 1.7.0)', 'mycelium (= 0.7.3)'] },
    files: {},
  },
];

/** Builds the packages into a new signed repository `repo` (created here); returns its path. */
export function buildSiteRepo(work: string): string {
  const repo = join(work, 'repo');
  ok(['repo', 'create', repo]);
  const dirs = PACKAGES.map((p, i) => {
    const dir = join(work, 'src', `${i}-${p.recipe.name as string}-${p.recipe.version as string}`);
    writePackage(dir, p.recipe, p.files);
    for (const [path, content] of Object.entries(p.hooks ?? {})) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content, { mode: 0o755 });
    }
    return dir;
  });
  ok(['build', ...dirs, '--repo', repo]);
  return repo;
}
