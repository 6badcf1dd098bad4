/**
 * The programs zpkg runs for what Node has no call for: `sync -f` (syncfs(2))
 * and `chroot` (chroot(2) then exec, for chrooted hooks). Run from the bundle
 * (`npm run dist`, whose launcher sets `ZPKG_BUNDLE`), they are the bundle's
 * own busybox — static, so they need nothing of the host or the image; run
 * from npm, they are the host's own, found on PATH.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export type Helper = 'sync' | 'chroot' | 'unshare' | 'mount' | 'sh';

const found = new Map<Helper, string>();

/** The file to spawn for `name`: an absolute path into the bundle, or the bare name (looked up on PATH). */
export function helperProgram(name: Helper): string {
  let file = found.get(name);
  if (file === undefined) {
    const bundle = process.env.ZPKG_BUNDLE;
    const own = bundle ? join(bundle, 'bin', name) : undefined;
    file = own !== undefined && existsSync(own) ? own : name;
    found.set(name, file);
  }
  return file;
}
