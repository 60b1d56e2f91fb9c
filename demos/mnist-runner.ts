// The MNIST half of the page `npm start -- --runtime chrome` drives (demos/runner.ts mounts it as
// window.runner.mnist): fetches the committed digits; src/runner.ts trains and evaluates, as in Node.
import mnistUrl from '../data/mnist-10k.u8.gz?url';
import type { Dataset } from '../src/data';
import type { Gpu } from '../src/device/gpu';
import { decodeMnist, type MnistTraining } from '../src/mnist';
import { mnistRequests } from '../src/runner';

let cached: Promise<Dataset> | null = null;

/** The 10,000 digits, fetched once per page and checked against their SHA-256. */
export function loadMnist(): Promise<Dataset> {
  cached ??= fetch(mnistUrl).then(async (r) => {
    if (!r.ok) throw new Error(`${mnistUrl}: HTTP ${r.status}`);
    return decodeMnist(new Uint8Array(await r.arrayBuffer()), mnistUrl);
  });
  return cached;
}

export { IMAGE_SHAPE, type MnistTrainResult } from '../src/runner';

/**
 * The page's MNIST runner: src/runner.ts's, on the digits fetched from the dev server, reporting
 * through the functions the CLI exposed (window.wgslgradReport and wgslgradProgress).
 */
export function mnistRunner(gpu: Gpu) {
  const requests = mnistRequests(gpu, loadMnist);
  return {
    train: (config: MnistTraining, progressSeconds: number) => requests.train(config, { onEpoch: (r) => window.wgslgradReport?.(r), onProgress: (p) => window.wgslgradProgress?.(p) }, progressSeconds),
    evaluate: requests.evaluate,
  };
}
