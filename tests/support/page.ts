// Opens a page of the project in the test run's shared headless Chrome (see global-setup.ts).
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { inject } from 'vitest';

export interface OpenPage {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function openPage(path: string): Promise<OpenPage> {
  const browser: Browser = await puppeteer.connect({ browserWSEndpoint: inject('wsEndpoint'), protocolTimeout: 0 });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url ?? 'no url'})`);
  });
  page.on('pageerror', (e) => errors.push(e instanceof Error ? e.message : String(e)));
  await page.goto(`${inject('baseUrl')}${path}`);
  return {
    page,
    errors,
    async close() {
      await page.close();
      await browser.disconnect();
    },
  };
}
