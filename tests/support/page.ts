// Opens a page of the project, served by the test run's Vite server (global-setup.ts), in the test
// file's own headless Chrome (browser.ts).
import type { Page } from 'puppeteer';
import { inject } from 'vitest';
import { testBrowser } from './browser';

export interface OpenPage {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

export async function openPage(path: string): Promise<OpenPage> {
  const page = await (await testBrowser()).newPage();
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
    },
  };
}
