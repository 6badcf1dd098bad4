/**
 * The one way output reaches a person. Commands hand results to `result()`;
 * with `--json` that prints exactly one JSON document on stdout (or one line per
 * item for streams), otherwise the command's renderer prints text. Notices,
 * warnings and progress go to stderr, progress only on a terminal.
 */
import { formatBytes } from './table.js';
import { ZpkgError } from '../core/errors.js';
import { ProgressEvents } from './progress-events.js';

export interface Progress {
  tick(n?: number, bytes?: number): void;
  done(summary?: string): void;
}

export interface Report {
  readonly json: boolean;
  /** A line for the person (stderr in --json mode, so stdout stays one document). */
  info(message: string): void;
  warn(message: string): void;
  /** A counter shown on a terminal, silent elsewhere. */
  progress(label: string, total: number): Progress;
  /** The command's result: JSON when --json, else the rendered text on stdout. */
  result<T>(value: T, render: (value: T) => string): void;
  /** One item of a stream: an NDJSON line when --json, else a text line. */
  item<T>(value: T, render: (value: T) => string): void;
  error(err: unknown): void;
}

/** How progress reaches stderr: `auto` a counter on a terminal only, `json` NDJSON events (progress-events.ts), `none` nothing. */
export type ProgressMode = 'auto' | 'json' | 'none';

export interface ReportOptions {
  json: boolean;
  quiet?: boolean;
  progress?: ProgressMode;
  stdout?: NodeJS.WritableStream & { isTTY?: boolean };
  stderr?: NodeJS.WritableStream & { isTTY?: boolean };
}

const NO_COLOR = 'NO_COLOR' in process.env;

export class StreamReport implements Report {
  readonly json: boolean;
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly quiet: boolean;
  private readonly tty: boolean;
  private live = false;
  /** Steps under way on a terminal, drawn together on the live line. */
  private readonly bars = new Set<{ label: string; total: number; count: number; bytes: number }>();
  private drawn = 0;
  /** Set under `--progress=json`: every line on stderr is then one NDJSON event. */
  private readonly events: ProgressEvents | undefined;

  constructor(options: ReportOptions) {
    this.json = options.json;
    this.quiet = options.quiet ?? false;
    this.out = options.stdout ?? process.stdout;
    this.err = options.stderr ?? process.stderr;
    const mode = options.progress ?? 'auto';
    this.tty = mode === 'auto' && Boolean(this.err.isTTY) && !this.json && process.env.TERM !== 'dumb';
    if (mode === 'json') this.events = new ProgressEvents((line) => this.err.write(line));
  }

  private clearLive(): void {
    if (this.live) {
      this.err.write('\r\x1b[K');
      this.live = false;
    }
  }

  info(message: string): void {
    if (this.quiet) return;
    if (this.events) return this.events.message('info', message);
    this.clearLive();
    this.err.write(`${message}\n`);
  }

  warn(message: string): void {
    if (this.events) return this.events.message('warning', message);
    this.clearLive();
    this.err.write(`${this.paint('33', 'warning')}: ${message}\n`);
  }

  /**
   * On a terminal, one line shows every step under way (fetch and stage run
   * together when staging takes packs as they download): `fetch: 3/10 30%,
   * 5.0 MiB · stage: 120/2000 6%`. A step that ends prints its own line,
   * unless it had nothing to do.
   */
  progress(label: string, total: number): Progress {
    if (this.events) return this.events.step(label, total);
    if (!this.tty || this.quiet) return { tick: () => undefined, done: () => undefined };
    const bar = { label, total, count: 0, bytes: 0 };
    this.bars.add(bar);
    const started = Date.now();
    return {
      tick: (n = 1, b = 0) => {
        bar.count += n;
        bar.bytes += b;
        const now = Date.now();
        if (now - this.drawn > 80) {
          this.drawn = now;
          this.drawBars();
        }
      },
      done: (summary) => {
        this.bars.delete(bar);
        this.clearLive();
        // A step with nothing to do (no manifest to read, no blob to fetch) leaves no line.
        if (total === 0 && bar.count === 0 && bar.bytes === 0) return;
        const secs = ((Date.now() - started) / 1000).toFixed(2);
        this.err.write(`${label}: ${summary ?? `${bar.count}/${total}`} (${secs} s)\n`);
      },
    };
  }

  private drawBars(): void {
    const shown = [...this.bars].map((b) => {
      const pct = b.total > 0 ? ` ${Math.floor((b.count * 100) / b.total)}%` : '';
      const mb = b.bytes > 0 ? `, ${formatBytes(b.bytes)}` : '';
      return `${b.label}: ${b.count}/${b.total}${pct}${mb}`;
    });
    this.err.write(`\r\x1b[K${shown.join(' · ')}`);
    this.live = true;
  }

  result<T>(value: T, render: (value: T) => string): void {
    this.clearLive();
    if (this.json) {
      this.out.write(`${JSON.stringify(value)}\n`);
      return;
    }
    const text = render(value);
    if (text.length > 0) this.out.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  item<T>(value: T, render: (value: T) => string): void {
    this.result(value, render);
  }

  error(err: unknown): void {
    this.clearLive();
    const e = toZpkgError(err);
    if (this.json) {
      const doc: Record<string, unknown> = { code: e.code, message: e.message };
      if (e.hint) doc.hint = e.hint;
      if (e.details) Object.assign(doc, e.details);
      this.out.write(`${JSON.stringify({ error: doc })}\n`);
      return;
    }
    if (this.events) return this.events.error(e);
    const explanation = Array.isArray(e.details?.explanation) ? e.details.explanation.map(String) : [];
    this.err.write(`${this.paint('31', 'error')}: ${headlineOf(e.message, explanation)}\n`);
    for (const line of explanation) if (line !== e.message) this.err.write(`  ${line}\n`);
    if (e.hint) this.err.write(`${this.paint('36', 'hint')}: ${e.hint}\n`);
    if (e.code === 'E_INTERNAL' && e.cause instanceof Error && e.cause.stack) this.err.write(`${e.cause.stack}\n`);
  }

  private paint(code: string, text: string): string {
    return this.err.isTTY && !NO_COLOR ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

/** Anything thrown becomes a ZpkgError; foreign errors are internal or I/O. */
export function toZpkgError(err: unknown): ZpkgError {
  if (err instanceof ZpkgError) return err;
  const e = err as NodeJS.ErrnoException;
  // A damaged state or an image that cannot be written, met after the state was opened (image/state-errors.ts names them at open).
  if (e && typeof e.code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(e.code)) {
    return new ZpkgError('E_STATE_CORRUPT', `the image's state database is damaged: ${e.message}`, { cause: err, hint: '`zpkg list` and `zpkg verify` read the backup zpkg keeps beside it (state.db.backup); see the README "Damaged state"' });
  }
  if (e && typeof e.code === 'string' && (/^SQLITE_READONLY/.test(e.code) || e.code === 'EROFS')) {
    return new ZpkgError('E_IMAGE_READONLY', `cannot write to the image: ${e.message}`, { cause: err, hint: 'the image (or its state directory) is read-only: remount it read-write; `zpkg list` and `zpkg verify` still read it' });
  }
  if (e && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return new ZpkgError('E_IO', `${e.syscall} ${e.path ?? ''}: ${e.message}`.replace(/\s+:/, ':'), { cause: err });
  }
  return new ZpkgError('E_INTERNAL', `internal error: ${e?.message ?? String(err)}`, { cause: err, hint: 'this is a bug in zpkg; please report it with the command you ran' });
}

/**
 * A solver's message is its headline followed by the first lines of its
 * explanation ("zpkg cannot install `a`: X; Y"), for one-line readers (JSON,
 * logs). On a terminal the lines follow one per row, so the headline alone
 * leads them rather than saying everything twice.
 */
export function headlineOf(message: string, explanation: readonly string[]): string {
  for (let k = explanation.length; k > 0; k--) {
    const tail = `: ${explanation.slice(0, k).join('; ')}`;
    if (message.length > tail.length && message.endsWith(tail)) return `${message.slice(0, -tail.length)}:`;
  }
  return message;
}
