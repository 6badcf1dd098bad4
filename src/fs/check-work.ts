/**
 * Whether a verify's files are worth check workers: what checking them would
 * cost one thread, estimated before anything is read from the state's count
 * of files and its packages' installed bytes.
 * Check workers are whole isolates — ~0.1 s of CPU each to boot, and their
 * tasks' messages — and on the machines zpkg runs on (2 vCPUs here, whose two
 * readers do the work of ~1.3) they pay only for a lot of work. Measured warm
 * (page cache), median of 5, on images of one package (`zpkg verify`, wall /
 * CPU seconds, workers against this thread): 200 files of 15 KB 0.48 / 0.65
 * against 0.37 / 0.39; 3,000 files, 44 MB: 0.68 / 1.00 against 0.65 / 0.79;
 * 8,000 files, 118 MB: 0.91 / 1.47 against 0.95 / 1.14; the bench tree,
 * 20,000 files, 380 MB: 1.34–1.48 / 2.3–2.5 against 1.44–1.85 / 1.7–2.1.
 * Through the npm package's app, before this rule (workers from 64 files)
 * and after it: 200 files 0.38 / 0.49 → 0.30 / 0.31; 1,000 files, 15 MB:
 * 0.41 / 0.55 → 0.37 / 0.41; 3,000 files 0.49 / 0.74 → 0.48 / 0.58. The
 * 8,000 files took 0.72–0.79 / 1.17–1.27 on workers (started ahead or not:
 * see AHEAD_STATE_BYTES) and 0.77–0.89 / 0.92–1.09 on this thread: about the
 * same wall time for a quarter less CPU, so the line is drawn above them and
 * below the bench tree.
 * Files that come from a disk are another matter (fs/cold-readers.ts): reads
 * that wait overlap, and a few thousand cold files gain from several readers.
 */

/** One thread's cost of a file beyond its bytes: open, fstat, close, the task's share (µs; ~11 here). */
export const FILE_US = 12;
/** Bytes one thread reads from the page cache and hashes per µs (sha256 with SHA-NI and the copy: ~1 GB/s here). */
export const BYTES_PER_US = 1000;
/**
 * Workers check the files when one thread would take at least this long
 * (µs): the bench tree (~620,000) takes them; the 8,000-file image above
 * (~214,000) does not.
 */
export const WORKERS_MIN_US = 300_000;

/** Microseconds one thread would take to check `files` files of `bytes` bytes in all from the page cache. */
export function checkWork(files: number, bytes: number): number {
  return files * FILE_US + bytes / BYTES_PER_US;
}
