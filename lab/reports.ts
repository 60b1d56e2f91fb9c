// Prints the full report of every harness case whose name matches a pattern (max errors included):
//   npx tsx lab/reports.ts 'optimizer|init|PyTorch'
import { launchChrome, startServer } from '../scripts/chrome';

const pattern = new RegExp(process.argv[2] ?? '.');
const { server, url } = await startServer();
const browser = await launchChrome();
try {
  const page = await browser.newPage();
  await page.goto(`${url}/tests/harness/index.html`);
  await page.waitForFunction(() => window.harness !== undefined);
  const names = (await page.evaluate(() => window.harness!.names)).filter((n) => pattern.test(n));
  for (const name of names) {
    const r = await page.evaluate((n) => window.harness!.runCase(n, 1234), name);
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name}\n${r.report.replace(/^/gm, '    ')}`);
  }
} finally {
  await browser.close();
  await server.close();
}
