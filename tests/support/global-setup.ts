// Starts one Vite server and one headless Chrome for the whole test run; each browser test file
// connects to that Chrome and opens its own page.
import type { TestProject } from 'vitest/node';
import { launchChrome, startServer } from '../../scripts/chrome';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    wsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { server, url } = await startServer();
  const browser = await launchChrome();
  project.provide('baseUrl', url);
  project.provide('wsEndpoint', browser.wsEndpoint());
  return async () => {
    await browser.close();
    await server.close();
  };
}
