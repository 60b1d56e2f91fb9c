// Puppeteer downloads its own Chrome on install unless a browser is already here.
// With CHROME_PATH set, or Debian's /usr/bin/chromium (or another usual path) present, we skip the
// download and use that browser; a machine with no Chrome and with internet still gets Puppeteer's.
const fs = require('node:fs');

const candidates = [
  process.env.CHROME_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
].filter(Boolean);
const installed = candidates.find((path) => fs.existsSync(path));

module.exports = installed ? { skipDownload: true, executablePath: installed } : {};
