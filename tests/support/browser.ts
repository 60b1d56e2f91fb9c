// Each browser test file has a headless Chrome of its own, launched on its first page and closed after
// the file (tests/support/per-file.ts). One Chrome shared by files run side by side put one file's page
// behind another's newer one, and a page in the background stops updating: the init demo, sent to the
// back by a second page, did not show its next scheme in 30 s. A file opens one page at a time, so in
// a Chrome of its own its page is always in front.
import type { Browser } from 'puppeteer';

let launched: Promise<Browser> | undefined;

export function testBrowser(): Promise<Browser> {
  // Imported on first use: the files that never open a page do not load Puppeteer and Vite for it.
  launched ??= import('../../scripts/chrome').then(({ launchChrome }) => launchChrome());
  return launched;
}

export async function closeTestBrowser(): Promise<void> {
  const browser = launched;
  launched = undefined;
  if (browser) await (await browser).close();
}
