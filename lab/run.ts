// Runs a lab page module in headless Chrome and prints what it measured:
//   npx tsx lab/run.ts profile-page      (or elementwise-page, workgroup-page)
// Lab pages export run(): Promise<Record<string, number>> (milliseconds).
import { launchChrome, startServer } from '../scripts/chrome';

const name = process.argv[2] ?? 'profile-page';
const { server, url } = await startServer();
const browser = await launchChrome(process.argv.slice(3));
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${url}/tests/harness/index.html`);
  await page.waitForFunction(() => window.harness !== undefined);
  const results: Record<string, number> = await page.evaluate((n) => import(`/lab/${n}.ts`).then((m) => m.run()), name);
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(50)} ${v.toFixed(3)} ms`);
} finally {
  await browser.close();
  await server.close();
}
