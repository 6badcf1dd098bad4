/** zstd (zstd-napi, built from source here): packs, records, catalogs and file indexes are stored compressed. */
import { compress as zcompress, decompress as zdecompress } from 'zstd-napi';
import binding from 'zstd-napi/binding.js';
import { ZpkgError } from '../core/errors.js';

export const DEFAULT_LEVEL = 3;

export function compress(data: Uint8Array, level = DEFAULT_LEVEL): Buffer {
  return zcompress(data, { compressionLevel: level });
}

/**
 * Compresses DATA on WORKERS threads (zstd's own, `nbWorkers`): zstd cuts it
 * into jobs of a few window sizes, so this pays only for inputs of tens of
 * MB. Its output does not depend on WORKERS (any number ≥ 1 gives the same
 * bytes), but differs from `compress`'s.
 */
export function compressOnThreads(data: Uint8Array, level: number, workers: number): Buffer {
  const cctx = new binding.CCtx();
  cctx.setParameter(binding.CParameter.compressionLevel, level);
  cctx.setParameter(binding.CParameter.nbWorkers, Math.max(1, workers));
  cctx.setPledgedSrcSize(data.length);
  const out = Buffer.allocUnsafe(binding.compressBound(data.length));
  let produced = 0;
  let src = data;
  for (;;) {
    const [ret, n, consumed] = cctx.compressStream2(out.subarray(produced), src, binding.EndDirective.end);
    produced += n;
    src = src.subarray(consumed);
    if (ret === 0) break;
  }
  return out.subarray(0, produced);
}

/** The most bytes one zstd frame of `size` bytes of content takes: a bound for reading back what `compress` wrote. */
export function compressedBound(size: number): number {
  return binding.compressBound(size);
}

/** Unbounded: only for bytes zpkg made itself (tests, tools). Anything read from a repository or an image goes through decompressBounded. */
export function decompress(data: Uint8Array): Buffer {
  return zdecompress(data);
}

/**
 * Decompresses input that may lie about its size: stops with a typed error as
 * soon as the content passes `max` bytes, whatever the frame header declares.
 */
export function decompressBounded(data: Uint8Array, max: number, where: string, dictionary?: Uint8Array): Buffer {
  const tooBig = (): ZpkgError => new ZpkgError('E_REPO_INVALID', `${where} decompresses to more than ${max} bytes`, { hint: 'the repository is damaged or hostile' });
  let declared: number | null;
  try {
    declared = binding.getFrameContentSize(data);
  } catch (err) {
    throw new ZpkgError('E_REPO_INVALID', `${where} does not decompress: ${(err as Error).message}`, { hint: 'the repository is damaged' });
  }
  if (declared !== null && declared > max) throw tooBig();
  const dctx = new binding.DCtx();
  if (dictionary) dctx.loadDictionary(dictionary);
  const chunks: Buffer[] = [];
  let total = 0;
  let input = data;
  try {
    for (;;) {
      // A frame that declares its size (within max) is decoded into one buffer of that size + 1: no copy, and a lie shows at once.
      const out = Buffer.allocUnsafe(declared !== null && total === 0 ? declared + 1 : Math.min(Math.max(declared ?? 0, 64 * 1024), max - total + 1, 16 << 20) || 1);
      const [ret, produced, consumed] = dctx.decompressStream(out, input);
      input = input.subarray(consumed);
      total += produced;
      if (total > max) throw tooBig();
      if (produced) chunks.push(out.subarray(0, produced));
      if (ret === 0 && input.length === 0) break;
      if (produced === 0 && consumed === 0) throw new Error(input.length ? 'stalled' : 'truncated input');
    }
  } catch (err) {
    if (err instanceof ZpkgError) throw err;
    throw new ZpkgError('E_REPO_INVALID', `${where} does not decompress: ${(err as Error).message}`, { hint: 'the repository is damaged' });
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}
