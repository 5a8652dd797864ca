import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from '../../src/paths';

/**
 * Debian's Chromium (scripts/test.sh installs the `chromium` package): playwright-core drives it
 * without downloading a browser of its own, so CI needs the npm registry and apt only.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Where the browser tests write their screenshots (the current ones are committed). */
export const SCREENSHOT_DIR = join(REPO_ROOT, 'docs', 'screenshots');

export interface BrowserSession {
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** Save a PNG of the page as docs/screenshots/<name>.png; returns its path. */
  screenshot(name: string): Promise<string>;
  /** Console errors and uncaught page errors seen so far (a page that throws fails its test). */
  errors(): readonly string[];
  close(): Promise<void>;
}

export interface OpenBrowserOptions {
  /** Viewport (default 1280 x 900). */
  readonly width?: number;
  readonly height?: number;
  /** Downloads (a debug bundle) are kept and readable (default true). */
  readonly acceptDownloads?: boolean;
}

/**
 * Headless Chromium with one page. `--no-sandbox`: CI runs as root in a container, where
 * Chromium's sandbox cannot start. Close it in afterAll (or finally): the browser is a process.
 */
export async function openBrowser(options: OpenBrowserOptions = {}): Promise<BrowserSession> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--headless', '--disable-gpu'],
  });
  try {
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
      acceptDownloads: options.acceptDownloads ?? true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    return {
      browser,
      context,
      page,
      async screenshot(name) {
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const path = join(SCREENSHOT_DIR, `${name}.png`);
        await page.screenshot({ path });
        return path;
      },
      errors: () => errors,
      async close() {
        await browser.close();
      },
    };
  } catch (error) {
    await browser.close();
    throw error;
  }
}
