// Finds and starts a headless Chrome with WebGPU on, and serves the project with Vite, for the test
// harness, `npm start` and `npm run bench`. With no GPU, Chrome's SwiftShader adapter serves.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import { tuningFileStore } from './output';

const USUAL_PATHS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export function findChrome(): string {
  const fromEnv = process.env.CHROME_PATH;
  if (fromEnv) {
    if (!fs.existsSync(fromEnv)) throw new Error(`CHROME_PATH is set to '${fromEnv}', which does not exist`);
    return fromEnv;
  }
  const installed = USUAL_PATHS.find((p) => fs.existsSync(p));
  if (installed) return installed;
  try {
    const own = puppeteer.executablePath();
    if (fs.existsSync(own)) return own;
  } catch {
    // Puppeteer has no browser of its own either
  }
  throw new Error(
    'No Chrome or Chromium found. Install one (Debian/Ubuntu: apt-get install chromium), ' +
      'point CHROME_PATH at it, or let Puppeteer download its own (npx puppeteer browsers install chrome).',
  );
}

export async function launchChrome(extraArgs: string[] = []): Promise<Browser> {
  const args = [
    ...extraArgs,
    '--enable-unsafe-webgpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  // A profile folder of our own, removed however the run ends: Puppeteer removes its own only in
  // close(), so each Ctrl-C of `npm start -- --runtime chrome` left 8 MB in /tmp.
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-chrome-'));
  const remove = () => {
    // Chrome keeps its singleton socket in a temporary folder of its own, linked from the profile; a
    // killed Chrome leaves that folder too.
    try {
      const socket = fs.readlinkSync(path.join(userDataDir, 'SingletonSocket'));
      if (path.basename(socket) === 'SingletonSocket' && path.dirname(path.dirname(socket)) === os.tmpdir()) fs.rmSync(path.dirname(socket), { recursive: true, force: true });
    } catch {
      // no socket: Chrome removed it, or never made one
    }
    // Retried: Chrome's crash handler may outlive the browser by a moment, still writing there.
    fs.rmSync(userDataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
  let browser: Browser;
  try {
    browser = await puppeteer.launch({ executablePath: findChrome(), headless: true, args, protocolTimeout: 0, userDataDir });
  } catch (error) {
    remove();
    throw error;
  }
  // Registered after Puppeteer's own exit handler, which kills Chrome first.
  process.once('exit', remove);
  browser.process()?.once('exit', () => {
    process.off('exit', remove);
    remove();
  });
  return browser;
}

/** Vite's dev server for the project root, on a free port of 127.0.0.1 (a secure context). */
export async function startServer(): Promise<{ server: ViteDevServer; url: string }> {
  // No file watching and no hot reload: an edit during a long run must not reload the page under it.
  // The project's root, not the shell's folder: the CLI may be started from anywhere.
  const root = fileURLToPath(new URL('..', import.meta.url));
  const server = await createServer({ root, server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null }, logLevel: 'warn', clearScreen: false });
  await server.listen();
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('Vite did not report the URL it serves');
  return { server, url: url.replace(/\/$/, '') };
}

/** The page `npm start -- --runtime chrome` drives (demos/runner.html), served and opened, with its adapter checked and named. */
export async function withRunnerPage<T>(debug: boolean, body: (page: Page) => Promise<T>, variantPolicy: 'tuned' | 'fixed' = 'tuned'): Promise<T> {
  const { server, url } = await startServer();
  const browser = await launchChrome();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e instanceof Error ? e.message : String(e)}`));
    if (debug) page.on('console', (m) => console.log(m.text()));
    // The tuner's picks live in the user's cache file, not in the page's IndexedDB (a fresh profile each run).
    await page.exposeFunction('wgslgradTuningLoad', tuningFileStore.load);
    await page.exposeFunction('wgslgradTuningSave', tuningFileStore.save);
    let release: (() => Promise<void>) | null = null; // the page holds at most one lock: its tuner saves one at a time
    await page.exposeFunction('wgslgradTuningLock', async () => void (release = await tuningFileStore.lock()));
    await page.exposeFunction('wgslgradTuningUnlock', async () => {
      await release?.();
      release = null;
    });
    const response = await page.goto(`${url}/demos/runner.html?variant-policy=${variantPolicy}${debug ? '&debug' : ''}`);
    if (!response?.ok()) throw new Error(`the runner page (demos/runner.html) did not load from Vite's server: HTTP ${response?.status() ?? 'no response'}`);
    await page.waitForFunction(() => window.runner !== undefined, { timeout: 120_000 });
    const { adapter, error } = await page.evaluate(() => ({ adapter: window.runner!.adapter, error: window.runner!.error }));
    if (!adapter) throw new Error(`no WebGPU adapter in headless Chrome: ${error}`);
    console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture}${adapter.isFallbackAdapter ? ' (fallback/software)' : ''}`);
    return await body(page);
  } finally {
    await browser.close();
    await server.close();
  }
}
