// Threefry-2x32 with 20 rounds (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as
// 1, 2, 3", SC'11; the Random123 library), written from the paper's description: Threefish's
// add–rotate–xor rounds on two 32-bit words, a key injection every four rounds. Checked against
// Random123's published known-answer vectors in tests/reference.test.ts.

const ROTATIONS = [13, 15, 26, 6, 17, 29, 16, 24];
const SKEIN_PARITY = 0x1bd11bda;

const rotl32 = (v: number, r: number) => ((v << r) | (v >>> (32 - r))) >>> 0;

export function threefry2x32(counter: [number, number], key: [number, number], rounds = 20): [number, number] {
  const ks = [key[0] >>> 0, key[1] >>> 0, (SKEIN_PARITY ^ key[0] ^ key[1]) >>> 0];
  let x0 = (counter[0] + ks[0]!) >>> 0;
  let x1 = (counter[1] + ks[1]!) >>> 0;
  for (let round = 0; round < rounds; round++) {
    x0 = (x0 + x1) >>> 0;
    x1 = rotl32(x1, ROTATIONS[round % 8]!);
    x1 = (x1 ^ x0) >>> 0;
    if (round % 4 === 3) {
      const s = (round + 1) / 4;
      x0 = (x0 + ks[s % 3]!) >>> 0;
      x1 = (x1 + ks[(s + 1) % 3]! + s) >>> 0;
    }
  }
  return [x0, x1];
}

/** Element i's uniform draw in [0, 1) for key (seed, step): the top 24 bits of word 0. */
export function uniformAt(i: number, seed: number, step: number): number {
  return (threefry2x32([i, 0], [seed, step])[0] >>> 8) / 2 ** 24;
}
