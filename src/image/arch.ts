/**
 * An image's architecture (dpkg's `--print-architecture`, apk's `--arch`):
 * `arch:` of its etc/zpkg/zpkg.yaml when set; else the arch of its adopted
 * base (an initramfs adopted by `zpkg adopt` is recorded with the arch its
 * ELF files were built for); else this machine's, as Debian names it.
 */
import type { Image } from './image.js';
import { listPackages } from './state.js';

/** Debian's name for this machine's architecture (what a base's ELF files are built for). */
export function machineArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', riscv64: 'riscv64', ppc64: 'ppc64el', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

export type ArchSource = 'config' | 'base' | 'machine';

export function imageArch(image: Image, configured: string | undefined): { arch: string; source: ArchSource; base?: string } {
  if (configured !== undefined) return { arch: configured, source: 'config' };
  // An adopted base is the one package of no repository with a real arch.
  const base = listPackages(image.db).find((p) => p.remote === null && p.arch !== 'all');
  if (base) return { arch: base.arch, source: 'base', base: base.name };
  return { arch: machineArch(), source: 'machine' };
}

export function describeArchSource(a: { arch: string; source: ArchSource; base?: string }): string {
  return a.source === 'config' ? '`arch:` in etc/zpkg/zpkg.yaml' : a.source === 'base' ? `its adopted base ${a.base}` : 'this machine';
}
