/**
 * Debian's Chromium (/usr/bin/chromium, installed by scripts/pretest.mjs)
 * driven by playwright-core, which never downloads a browser: headless, no
 * sandbox (tests run as root), no network services of its own, and a new
 * empty profile per launch. axe-core is injected through the DevTools
 * protocol (page.evaluate), which the pages' Content-Security-Policy does not
 * govern, so the pages are checked exactly as served.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT, tempDir } from './zpkg.js';

export const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser(options: { bypassCSP?: boolean; colorScheme?: 'light' | 'dark' } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(tempDir('zpkg-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1200, height: 900 },
    ...options,
  });
}

/** Where the browser tests leave their screenshots (gitignored), one folder per test file. */
export function outputDir(name: string): string {
  const dir = join(REPO_ROOT, '.cache', 'test-output', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
  targets: string[];
}

/** axe-core's WCAG 2.x A/AA and best-practice rules on the page as it is now. */
export async function axe(page: Page): Promise<AxeFinding[]> {
  await page.evaluate(AXE);
  const result = await page.evaluate(async () => {
    const a = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return a.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
  });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
}
