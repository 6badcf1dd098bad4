/**
 * The shape of a pending lifecycle record (`var/lib/zpkg/lifecycle/<txid>.json`),
 * checked before recovery acts on it: a record of the wrong shape is
 * "unreadable" (dropped with a warning), never a crash half-way through
 * running post-hooks. Loose objects: fields a newer zpkg adds are kept.
 */
import { isDigest } from '../core/digest.js';
import { count, v } from '../core/shape.js';
import { MAX_TIMEOUT_SECONDS } from '../core/timeout.js';
import { SERVICE_KINDS } from './services/types.js';

const hookStep = v.looseObject({
  package: v.string(),
  version: v.string(),
  phase: v.string(),
  digest: v.pipe(v.string(), v.check((s: string) => isDigest(s), 'expected a digest')),
  size: count,
  timeout: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(1), v.maxValue(MAX_TIMEOUT_SECONDS))),
  oldVersion: v.optional(v.string()),
});
const serviceStep = v.looseObject({ name: v.string(), package: v.string(), stop: v.boolean(), forget: v.boolean(), onlyIfRunning: v.boolean() });
const lifecycleRow = v.looseObject({ kind: v.picklist(['hook', 'service']), package: v.nullable(v.string()), name: v.string(), action: v.string(), status: v.string() });

export const PENDING_LIFECYCLE = v.looseObject({
  txid: v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  createdAt: v.optional(v.string()),
  hookMode: v.picklist(['chroot', 'host', 'skip']),
  serviceManager: v.picklist(SERVICE_KINDS),
  post: v.array(hookStep),
  services: v.array(serviceStep),
  wasRunning: v.array(v.tuple([v.string(), v.boolean()])),
  stopped: v.array(v.string()),
  forgotten: v.optional(v.array(v.string())),
  ran: v.array(lifecycleRow),
  rollbackOnFailure: v.optional(v.boolean()),
  rollback: v.optional(v.looseObject({ from: count, to: count, causes: v.array(v.string()) })),
});
