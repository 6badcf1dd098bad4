/**
 * The image session: every changing command runs inside one, holding the
 * image's transaction lock (telling the person when it has to wait), after
 * finishing or undoing whatever an interruption left behind — the journal of
 * an interrupted transaction first, then its pending lifecycle (post-hooks,
 * service starts). Dry runs only read: they take no lock and recover nothing
 * (and so never create state in a fresh image).
 */
import { lockImage, type Image } from '../image/image.js';
import type { Report } from '../report/report.js';
import type { ServiceManager } from '../hooks/services/types.js';
import { recoverImage, type Recovered } from './recover.js';
import { resumeLifecycles, type Resumed } from './resume.js';

export interface SessionOptions {
  report: Report;
  noWait?: boolean;
  dryRun?: boolean;
  /** The service manager recovery uses to finish an interrupted lifecycle (library callers, tests). */
  serviceManager?: ServiceManager;
}

export interface Recovery {
  recovered: Recovered[];
  lifecycles: Resumed[];
}

async function recoverUnderLock(image: Image, options: SessionOptions, announce: boolean): Promise<Recovery> {
  const recovered = recoverImage(image);
  if (announce) {
    for (const r of recovered) {
      options.report.info(`recovered the interrupted transaction ${r.txid} (${r.command}): ${r.outcome}`);
      for (const note of r.left) options.report.warn(note);
    }
  }
  const lifecycles = await resumeLifecycles(image, options.report, options.serviceManager);
  return { recovered, lifecycles };
}

export async function withImageSession<T>(image: Image, options: SessionOptions, work: () => Promise<T>): Promise<T> {
  if (options.dryRun) return work();
  const lock = lockImage(image, { noWait: options.noWait, onWait: () => options.report.info(`waiting for another zpkg working on ${image.paths.root}…`) });
  try {
    await recoverUnderLock(image, options, true);
    return await work();
  } finally {
    lock.release();
  }
}

/** `zpkg recover`: only the recovery a session starts with, and what it did. */
export async function recover(image: Image, options: Omit<SessionOptions, 'dryRun'>): Promise<Recovery> {
  const lock = lockImage(image, { noWait: options.noWait, onWait: () => options.report.info(`waiting for another zpkg working on ${image.paths.root}…`) });
  try {
    return await recoverUnderLock(image, options, true);
  } finally {
    lock.release();
  }
}
