/**
 * `verify` of an image through the API, with the checks put where a test
 * needs them: on check workers ('workers', whatever the work) or on the
 * calling thread ('thread'). The command decides by the work
 * (src/fs/check-work.ts), and the small images tests make never call for
 * workers.
 */
import { openImageForReading } from '../../src/image/read-image.js';
import { verifyImage, type VerifyResult } from '../../src/txn/verify.js';

export type CheckedOn = 'workers' | 'thread';

export async function verifyOn(root: string, on: CheckedOn, names: string[] = []): Promise<VerifyResult> {
  const image = openImageForReading(root);
  try {
    const r = await verifyImage(image, names, { minWork: on === 'workers' ? 0 : Infinity });
    // The checks ran where they were asked to: a test of the worker path that ran on this thread proves nothing.
    if ((r.readers !== undefined) !== (on === 'workers')) throw new Error(`verify ran on ${r.readers ? 'workers' : 'the calling thread'}, not ${on}`);
    return r;
  } finally {
    image.close();
  }
}
