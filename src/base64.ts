// Typed arrays as base64 text, to move data between Node and the page through Puppeteer's JSON.

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export const f32ToBase64 = (a: Float32Array) => toBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
export const base64ToF32 = (s: string) => new Float32Array(fromBase64(s).buffer);
export const base64ToU32 = (s: string) => new Uint32Array(fromBase64(s).buffer);
