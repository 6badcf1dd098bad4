/**
 * A hook's output as zpkg keeps it: the last `limit` bytes (the end of a
 * failing hook's output says why it failed), and its lines passed on as they
 * complete. Linear in the bytes written whatever their shape: each chunk is
 * scanned once for newlines, a line longer than `lineLimit` is passed on in
 * pieces of that size, and the kept tail is compacted when it reaches twice
 * its limit — memory stays O(limit + lineLimit) for any amount of output.
 */
export class OutputTail {
  private chunks: Buffer[] = [];
  private held = 0;
  /** Bytes written in all. */
  total = 0;
  private partial: Buffer[] = [];
  private partialLength = 0;

  constructor(
    private readonly limit: number,
    private readonly onLine?: (line: string) => void,
    private readonly lineLimit = 64 * 1024,
  ) {}

  write(chunk: Buffer): void {
    this.total += chunk.length;
    this.keep(chunk);
    if (this.onLine) this.split(chunk);
  }

  private keep(chunk: Buffer): void {
    if (chunk.length >= this.limit) {
      this.chunks = [chunk.subarray(chunk.length - this.limit)];
      this.held = this.limit;
      return;
    }
    this.chunks.push(chunk);
    this.held += chunk.length;
    if (this.held >= 2 * this.limit) {
      const all = Buffer.concat(this.chunks, this.held);
      this.chunks = [all.subarray(all.length - this.limit)];
      this.held = this.limit;
    }
  }

  private split(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      let piece = chunk.subarray(start, end);
      while (this.partialLength + piece.length >= this.lineLimit) {
        const room = this.lineLimit - this.partialLength;
        this.partial.push(piece.subarray(0, room));
        this.partialLength += room;
        this.flush();
        piece = piece.subarray(room);
      }
      if (piece.length) {
        this.partial.push(piece);
        this.partialLength += piece.length;
      }
      if (nl === -1) return;
      this.flush();
      start = nl + 1;
    }
  }

  private flush(): void {
    const line = Buffer.concat(this.partial, this.partialLength).toString('utf8');
    this.partial = [];
    this.partialLength = 0;
    this.onLine!(line);
  }

  /** Passes on the last line if it has no newline; returns the kept text, saying what was dropped. */
  end(): string {
    if (this.onLine && this.partialLength) this.flush();
    const all = Buffer.concat(this.chunks, this.held);
    const kept = all.subarray(Math.max(0, all.length - this.limit));
    const dropped = this.total - kept.length;
    return (dropped > 0 ? `[zpkg: first ${dropped} bytes of output dropped, last ${kept.length} kept]\n` : '') + kept.toString('utf8');
  }
}
