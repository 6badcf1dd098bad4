/**
 * Choosing the service manager: by configuration (a kind), or detected on the
 * running system, in this order: zinit's socket exists → zinit;
 * /run/systemd/system exists → systemd; $SVDIR or /etc/service exists and a
 * runsvdir process runs → runit; an s6-svscan process runs → s6 (on the scan
 * directory it was given, or its working directory); else none.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ZpkgError } from '../../core/errors.js';
import { NoServiceManager } from './none.js';
import { RunitManager } from './runit.js';
import { S6Manager } from './s6.js';
import { SystemdManager } from './systemd.js';
import type { ServiceKind, ServiceManager } from './types.js';
import { SERVICE_KINDS } from './types.js';
import { ZINIT_SOCKET, ZinitManager } from './zinit.js';

export interface ServiceConfig {
  /** A kind, or `auto` (the default) to detect. */
  kind?: ServiceKind | 'auto';
  zinitSocket?: string;
  /** zinit's service files as this host sees them (the image's etc/zinit). */
  zinitConfigDir?: string;
  /** runit's supervision directory (default $SVDIR, else /etc/service). */
  svdir?: string;
  /** s6's scan directory (default: detected from s6-svscan, else /run/service). */
  s6Scandir?: string;
  settleMs?: number;
  /** For tests: where to look for processes and for systemd's marker. */
  procDir?: string;
  systemdDir?: string;
}

export function createServiceManager(kind: string, config: ServiceConfig = {}): ServiceManager {
  switch (kind) {
    case 'zinit':
      return new ZinitManager({ socket: config.zinitSocket, configDir: config.zinitConfigDir, settleMs: config.settleMs });
    case 'runit':
      return new RunitManager({ svdir: config.svdir, settleMs: config.settleMs });
    case 's6':
      return new S6Manager({ scandir: config.s6Scandir, settleMs: config.settleMs });
    case 'systemd':
      return new SystemdManager({ settleMs: config.settleMs });
    case 'none':
      return new NoServiceManager();
    default:
      throw new ZpkgError('E_CONFIG_INVALID', `unknown service manager ${JSON.stringify(kind)}`, {
        hint: `choose one of ${SERVICE_KINDS.join(', ')} or auto`,
      });
  }
}

export function selectServiceManager(config: ServiceConfig = {}): ServiceManager {
  const kind = config.kind ?? 'auto';
  if (kind !== 'auto') return createServiceManager(kind, config);
  const detected = detectServiceKind(config);
  return createServiceManager(detected.kind, { ...config, s6Scandir: config.s6Scandir ?? detected.s6Scandir });
}

export function detectServiceKind(config: ServiceConfig = {}): { kind: ServiceKind; s6Scandir?: string } {
  const procDir = config.procDir ?? '/proc';
  if (isSocket(config.zinitSocket ?? ZINIT_SOCKET)) return { kind: 'zinit' };
  if (isDir(config.systemdDir ?? '/run/systemd/system')) return { kind: 'systemd' };
  const procs = processes(procDir);
  const svdir = config.svdir ?? process.env['SVDIR'] ?? '/etc/service';
  if (isDir(svdir) && procs.some((p) => p.comm === 'runsvdir')) return { kind: 'runit' };
  const svscan = procs.find((p) => p.comm === 's6-svscan');
  if (svscan) {
    const arg = svscan.argv.slice(1).filter((a) => !a.startsWith('-')).pop();
    let scandir: string | undefined = arg && isAbsolute(arg) ? arg : undefined;
    if (!scandir) {
      try {
        const cwd = readlinkSync(join(procDir, String(svscan.pid), 'cwd'));
        scandir = arg ? join(cwd, arg) : cwd;
      } catch {
        scandir = undefined;
      }
    }
    return scandir ? { kind: 's6', s6Scandir: scandir } : { kind: 's6' };
  }
  return { kind: 'none' };
}

interface Proc {
  pid: number;
  comm: string;
  argv: string[];
}

function processes(procDir: string): Proc[] {
  let names: string[];
  try {
    names = readdirSync(procDir);
  } catch {
    return [];
  }
  const out: Proc[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const comm = readFileSync(join(procDir, n, 'comm'), 'utf8').trim();
      const argv = readFileSync(join(procDir, n, 'cmdline'), 'utf8').split('\0').filter((a) => a !== '');
      out.push({ pid: Number(n), comm, argv });
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
