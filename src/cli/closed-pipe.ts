/**
 * `zpkg list | head -1`: once the reader of stdout (or stderr) is gone, what
 * is left of the output has nowhere to go. Node turns the failed write into
 * an uncaught EPIPE — a stack trace and exit 1. Here the rest is dropped and
 * the command finishes as it would have (a transaction is not cut short
 * because a pager quit), with its own exit status.
 */
export function dropOutputToClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
      throw err;
    });
  }
}
