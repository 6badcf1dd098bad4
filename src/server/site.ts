/**
 * The catalogue at `/` of the depot: the pages `zpkg repo site` makes,
 * rendered in a worker thread from the repository the depot serves, and
 * rendered again when a publish lands — one through the depot (kick) or one
 * written straight into the directory (root.json polled). Two directories
 * take turns: a render goes into the one not served, then serving switches
 * to it, so a reader never sees half a render, and each render rewrites only
 * the pages that changed since that directory's last one. Until the first
 * render is done a short page says so; when the repository cannot be
 * rendered (a broken catalog) every page of the site is an error page naming
 * the error.
 */
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { errorPage } from '../site/index.js';

export interface SiteServiceOptions {
  repoDir: string;
  /** Where the two render directories live. */
  siteRoot: string;
  baseUrl?: string;
  title?: string;
  /** How often root.json is looked at for publishes made outside the depot (default 2 s). */
  pollMs?: number;
}

export type SiteState =
  | { kind: 'pending' }
  | { kind: 'ready'; dir: string; rootVersion: number; rendered: string }
  | { kind: 'error'; html: string; code: string };

export interface RenderEvent {
  ok: boolean;
  rootVersion?: number;
  seconds?: number;
  code?: string;
  message?: string;
  hint?: string;
}

function rootStamp(repoDir: string): string {
  try {
    const st = statSync(join(repoDir, 'root.json'));
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

export class SiteService {
  state: SiteState = { kind: 'pending' };
  /** Renders finished (tests wait on it). */
  renders = 0;
  private running: Promise<void> | undefined;
  /** The render thread at work, stopped by close(). */
  private worker: Worker | undefined;
  private again = false;
  private closed = false;
  private turn = 0;
  private lastStamp = '';
  private readonly timer: NodeJS.Timeout;
  private readonly listeners: ((e: RenderEvent) => void)[] = [];

  constructor(private readonly options: SiteServiceOptions) {
    mkdirSync(options.siteRoot, { recursive: true });
    this.timer = setInterval(() => {
      if (rootStamp(options.repoDir) !== this.lastStamp) this.kick();
    }, options.pollMs ?? 2000);
    this.timer.unref();
    this.kick();
  }

  onRender(listener: (e: RenderEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Renders again (after the one running, if any). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.render().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private async render(): Promise<void> {
    const stamp = rootStamp(this.options.repoDir);
    const dir = join(this.options.siteRoot, `site-${this.turn % 2}`);
    const event = await new Promise<RenderEvent>((resolve) => {
      const w = new Worker(new URL('./site-worker.js', import.meta.url), {
        workerData: { repo: this.options.repoDir, out: dir, baseUrl: this.options.baseUrl, title: this.options.title },
      });
      this.worker = w;
      w.once('message', (m: RenderEvent) => resolve(m));
      w.once('error', (err) => resolve({ ok: false, code: 'E_INTERNAL', message: err.message }));
      w.once('exit', (code) => resolve({ ok: false, code: 'E_INTERNAL', message: `the render thread exited (${code})` }));
    });
    this.worker = undefined;
    this.lastStamp = stamp;
    this.renders += 1;
    if (this.closed) return;
    if (event.ok) {
      this.state = { kind: 'ready', dir, rootVersion: event.rootVersion!, rendered: new Date().toISOString() };
      this.turn += 1;
    } else {
      const code = event.code ?? 'E_INTERNAL';
      this.state = { kind: 'error', code, html: errorPage({ code, message: event.message ?? 'the catalogue could not be rendered', hint: event.hint, location: this.options.repoDir, when: new Date().toISOString() }) };
    }
    for (const l of this.listeners) l(event);
  }

  /**
   * Stops the render under way rather than waiting for it (a repository of Debian's size renders for minutes): the
   * directory it was writing is taken up by the next render (site/write.ts), and the one served is left whole.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.worker?.terminate();
    await this.running;
  }
}
