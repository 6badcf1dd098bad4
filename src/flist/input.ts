/** Where an flist comes from: a local path, `file://`, or an http(s) URL downloaded once into the command's work directory. */
import { join } from 'node:path';
import { ZpkgError } from '../core/errors.js';
import { HttpBackend } from '../repo/http-backend.js';

/** The most bytes an flist downloaded from a URL may be. */
export const MAX_FLIST_DOWNLOAD = 1024 * 1024 * 1024;

/** A local copy of an flist named by a path or an http(s) URL. */
export async function localFlist(input: string, work: string, index: number): Promise<string> {
  if (input.startsWith('file://')) return decodeURIComponent(new URL(input).pathname);
  if (!/^https?:\/\//i.test(input)) return input;
  const url = new URL(input);
  const name = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
  const dir = new URL('.', url).href;
  const http = new HttpBackend(dir);
  try {
    const dest = join(work, `download-${index}.fl`);
    let got: number | undefined;
    try {
      // An flist is its files' metadata (tens of MB for a large image): a hub answering more is not sending one.
      got = await http.download(name, dest, { max: MAX_FLIST_DOWNLOAD });
    } catch (err) {
      if (err instanceof ZpkgError && err.code === 'E_REPO_INVALID') throw new ZpkgError('E_FLIST_INVALID', `flist ${input}: ${err.message}`, { hint: 'the hub (or whatever answers for it) sent more than an flist can be; nothing was imported' });
      throw err;
    }
    if (got === undefined) throw new ZpkgError('E_NOT_FOUND', `flist ${input} does not exist (HTTP 404)`);
    return dest;
  } finally {
    await http.close();
  }
}

