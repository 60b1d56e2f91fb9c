// Runs a lab page module in headless Chrome and prints what it measured:
//   npx tsx lab/run.ts profile-page      (or elementwise-page, workgroup-page; --node: in Node on Dawn)
// Further arguments are Chrome's switches (--enable-dawn-features=…). Lab pages export
// run(): Promise<Record<string, number>> (milliseconds).
import fs from 'node:fs';
import { launchChrome, startServer } from '../scripts/chrome';

const name = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'profile-page';
const pages = fs.readdirSync(new URL('.', import.meta.url)).filter((f) => f.endsWith('-page.ts')).map((f) => f.slice(0, -3));
if (!pages.includes(name)) {
  console.error(`error: no lab page '${name}'; the pages: ${pages.join(', ')} (npx tsx lab/run.ts PAGE [--node])`);
  process.exit(1);
}
const print = (results: Record<string, number>) => {
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(50)} ${v.toFixed(3)} ms`);
};
if (process.argv.includes('--node')) {
  // The same page module in this process, on Dawn: `npx tsx lab/run.ts profile-page --node`.
  await import('../src/node/register');
  print(await (await import(`./${name}.ts`)).run());
  process.exit(0);
}
const { server, url } = await startServer();
const browser = await launchChrome(process.argv.slice(2).filter((a) => a !== name && a !== '--node'));
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`${url}/tests/harness/index.html`);
  await page.waitForFunction(() => window.harness !== undefined);
  print(await page.evaluate((n) => import(`/lab/${n}.ts`).then((m) => m.run()), name));
} finally {
  await browser.close();
  await server.close();
}
