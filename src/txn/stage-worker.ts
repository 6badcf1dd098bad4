/**
 * A staging worker: for each job, reads a compressed blob, decompresses it,
 * checks its sha256 and size, and writes it under its temporary name with
 * owner and mode — with plain synchronous syscalls, so a batch costs no
 * thread-pool hand-offs. Runs in a worker thread (or inline for small jobs).
 */
import { createHash } from 'node:crypto';
import { closeSync, fchmodSync, fchownSync, openSync, readFileSync, writeSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { decompress } from 'zstd-napi';

export interface StageJob {
  blob: string;
  digest: string;
  size: number;
  tmp: string;
  mode: number;
  uid: number;
  gid: number;
  chown: boolean;
}

export type StageOutcome =
  | { ok: true }
  | { ok: false; kind: 'missing' }
  | { ok: false; kind: 'corrupt'; actual: string; size: number }
  | { ok: false; kind: 'io'; message: string; code?: string };

export function stageOne(job: StageJob): StageOutcome {
  let stored: Buffer;
  try {
    stored = readFileSync(job.blob);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return e.code === 'ENOENT' ? { ok: false, kind: 'missing' } : { ok: false, kind: 'io', message: e.message, code: e.code };
  }
  let content: Buffer;
  try {
    content = decompress(stored);
  } catch (err) {
    return { ok: false, kind: 'corrupt', actual: `(undecodable: ${(err as Error).message})`, size: 0 };
  }
  const actual = `sha256:${createHash('sha256').update(content).digest('hex')}`;
  if (actual !== job.digest || content.length !== job.size) return { ok: false, kind: 'corrupt', actual, size: content.length };
  let fd: number;
  try {
    fd = openSync(job.tmp, 'wx', job.mode);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, kind: 'io', message: e.message, code: e.code };
  }
  try {
    let off = 0;
    while (off < content.length) off += writeSync(fd, content, off, content.length - off);
    const foreign = job.uid !== 0 || job.gid !== 0;
    if (job.chown && foreign) fchownSync(fd, job.uid, job.gid);
    // open() already applied the mode (the umask is 0 while staging); chown clears setuid/setgid.
    if (job.mode & 0o7000 || (job.chown && foreign)) fchmodSync(fd, job.mode);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { ok: false, kind: 'io', message: e.message, code: e.code };
  } finally {
    closeSync(fd);
  }
  return { ok: true };
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (batch: StageJob[]) => {
    const out: StageOutcome[] = [];
    for (const job of batch) {
      const r = stageOne(job);
      out.push(r);
      if (!r.ok) break;
    }
    port.postMessage(out);
  });
}
