// Prints the full report of every harness case whose name matches a pattern (max errors included):
//   npx tsx lab/reports.ts 'optimizer|init|PyTorch'
import { launchChrome, startServer } from '../scripts/chrome';
import { exampleCases } from '../tests/example-cases';
import { graphCases } from '../tests/graph-cases';
import { kernelCases } from '../tests/kernel-cases';

const pattern = new RegExp(process.argv[2] ?? '.');
const names = [...kernelCases, ...graphCases, ...exampleCases].map((c) => c.name).filter((n) => pattern.test(n));
const { server, url } = await startServer();
const browser = await launchChrome();
try {
  const page = await browser.newPage();
  await page.goto(`${url}/tests/harness/index.html`);
  await page.waitForFunction(() => window.harness !== undefined);
  for (const name of names) {
    const r = await page.evaluate((n) => window.harness!.runCase(n, 1234), name);
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${name}\n${r.report.replace(/^/gm, '    ')}`);
  }
} finally {
  await browser.close();
  await server.close();
}
