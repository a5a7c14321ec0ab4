/**
 * Headless Chromium for browser tests: Debian's `chromium` (installed by `ensure-deps.sh --test`)
 * driven by playwright-core, with everything that would reach out to the network turned off.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Screenshots are test artifacts (git-ignored), kept for people to look at. */
export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../test-results/screenshots');

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; file?: string } = {}): Promise<string> {
  const file = options.file ?? path.join(SCREENSHOT_DIR, `${name}.png`);
  mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: options.fullPage ?? true });
  return file;
}

/**
 * A Russian-speaking user in Omsk signed in with `token` on the dashboard at `url`, at `hash`; an error
 * thrown in the page fails the test.
 */
export async function signedInPage(
  browser: Browser,
  url: string,
  token: string,
  hash: string,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale: 'ru-RU', timezoneId: 'Asia/Omsk', viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => {
    throw new Error(`page error: ${e.message}`);
  });
  await page.goto(`${url}/#token=${token}`);
  await page.locator('[data-testid=whoami]').waitFor();
  await page.evaluate((h) => (location.hash = h), hash);
  return { context, page };
}
