/** What every command gets: the global options, the report, and the image they name. */
import type { Command } from 'commander';
import { openImage, type Image } from '../image/image.js';
import { StreamReport, type Report } from '../report/report.js';

export interface GlobalOptions {
  root: string;
  json: boolean;
  quiet: boolean;
}

export class Context {
  private reportInstance: Report | undefined;
  private readonly images: Image[] = [];

  constructor(readonly argv: readonly string[]) {}

  globals(cmd: Command): GlobalOptions {
    const o = cmd.optsWithGlobals() as Partial<GlobalOptions>;
    return { root: o.root ?? '/', json: Boolean(o.json), quiet: Boolean(o.quiet) };
  }

  report(cmd?: Command): Report {
    if (!this.reportInstance) {
      const g = cmd ? this.globals(cmd) : { json: this.argv.includes('--json'), quiet: false };
      this.reportInstance = new StreamReport({ json: g.json, quiet: g.quiet });
    }
    return this.reportInstance;
  }

  /** Opens the image named by --root; `create` for commands that change it. */
  image(cmd: Command, create = false): Image {
    const img = openImage(this.globals(cmd).root, { create });
    this.images.push(img);
    return img;
  }

  /** The command line as typed, for history. */
  commandLine(): string {
    return ['zpkg', ...this.argv].map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
  }

  close(): void {
    for (const img of this.images) img.close();
  }
}
