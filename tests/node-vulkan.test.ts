// When Dawn finds no adapter in Node, the Vulkan loader only prints warnings; whyNoAdapter names the
// cause. The NVIDIA cases are the ones met on an H100 container (driver present, libglvnd absent)
// and checked on this machine in a mount namespace with Debian's NVIDIA driver (lab/nvidia-container.sh);
// here dlopen and open are stood in for, so the cases run anywhere.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { HOW_TO_GET_WEBGPU_IN_NODE } from '../src/device/gpu';
import { whyNoAdapter } from '../src/node/webgpu';

const VARS = ['VK_ICD_FILENAMES', 'VK_DRIVER_FILES', '__EGL_VENDOR_LIBRARY_FILENAMES'] as const;
let saved: Record<string, string | undefined>;
let dir: string;

beforeEach(() => {
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-icd-'));
});
afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a Vulkan driver manifest naming `library` and makes it the one in use. */
function manifest(library: string, name = 'icd.json'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
  process.env.VK_ICD_FILENAMES = [process.env.VK_ICD_FILENAMES, file].filter(Boolean).join(':');
  return file;
}

const loads = (missing: string[] = []) => (library: string) => (missing.some((m) => library.endsWith(m)) ? `${library}: cannot open shared object file: No such file or directory` : null);
const opens = () => null;

test('no Vulkan loader: said first, whatever the manifests', () => {
  manifest('libGLX_nvidia.so.0');
  expect(whyNoAdapter({ canLoad: loads(['libvulkan.so.1']), canOpen: opens })).toMatch(/^The Vulkan loader \(libvulkan\.so\.1\) cannot be loaded, .*install libvulkan1/);
});

test('a manifest that is a folder, or not JSON', () => {
  process.env.VK_ICD_FILENAMES = dir;
  expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toMatch(/ is a folder, not a file/);
  const file = path.join(dir, 'zero.json');
  fs.writeFileSync(file, '');
  process.env.VK_ICD_FILENAMES = file;
  expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toMatch(/zero\.json \(from VK_ICD_FILENAMES\) is not JSON \(/);
});

test('a manifest that is missing or names no library', () => {
  process.env.VK_ICD_FILENAMES = path.join(dir, 'gone.json');
  expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toMatch(/gone\.json \(from VK_ICD_FILENAMES\) does not exist\. In Node, wgslgrad runs on Dawn/);
  const file = path.join(dir, 'empty.json');
  fs.writeFileSync(file, '{"ICD": {}}');
  process.env.VK_ICD_FILENAMES = file;
  expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toMatch(/empty\.json \(from VK_ICD_FILENAMES\) names no ICD\.library_path/);
});

test("a driver library that does not load is named with dlopen's reason, relative paths from the manifest's folder", () => {
  const file = manifest('./libvulkan_fancy.so');
  let asked = '';
  const why = whyNoAdapter({ canLoad: (lib) => ((asked = lib), loads(['libvulkan_fancy.so'])(lib)), canOpen: opens });
  expect(asked).toBe(path.join(dir, 'libvulkan_fancy.so'));
  expect(why).toContain(`The Vulkan driver ./libvulkan_fancy.so (from ${file}) cannot be loaded: ${path.join(dir, 'libvulkan_fancy.so')}: cannot open shared object file`);
});

test("NVIDIA's driver without libglvnd names the missing libraries and the packages", () => {
  manifest('libGLX_nvidia.so.0');
  expect(whyNoAdapter({ canLoad: loads(['libEGL.so.1', 'libGLdispatch.so.0']), canOpen: opens })).toMatch(/needs libglvnd, and libEGL\.so\.1 and libGLdispatch\.so\.0 cannot be loaded: install libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2 \(/);
  expect(whyNoAdapter({ canLoad: loads(['libEGL.so.1']), canOpen: opens })).toMatch(/and libEGL\.so\.1 cannot be loaded: install /);
  // Its own fix, not the general advice (Chromium's software driver is no answer on a GPU machine).
  expect(whyNoAdapter({ canLoad: loads(['libEGL.so.1']), canOpen: opens })).not.toContain(HOW_TO_GET_WEBGPU_IN_NODE);
});

test("NVIDIA's driver with libglvnd but no EGL vendor file for it", () => {
  manifest('libGLX_nvidia.so.0');
  const hasNvidiaVendor = ['/usr/share/glvnd/egl_vendor.d', '/etc/glvnd/egl_vendor.d'].some((d) => fs.existsSync(d) && fs.readdirSync(d).some((f) => /nvidia/i.test(fs.readFileSync(path.join(d, f), 'utf8'))));
  if (!hasNvidiaVendor) expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toMatch(/needs an EGL vendor file naming libEGL_nvidia\.so\.0.*set __EGL_VENDOR_LIBRARY_FILENAMES/);
  process.env.__EGL_VENDOR_LIBRARY_FILENAMES = '/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json';
  expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toBeNull();
});

test("NVIDIA's driver complete but no GPU device reachable", () => {
  manifest('libGLX_nvidia.so.0');
  process.env.__EGL_VENDOR_LIBRARY_FILENAMES = '/somewhere/10_nvidia.json';
  let opened = '';
  const why = whyNoAdapter({ canLoad: loads(), canOpen: (f) => ((opened = f), 'ENXIO') });
  expect(opened).toBe('/dev/nvidiactl');
  expect(why).toMatch(/loads, but \/dev\/nvidiactl cannot be opened \(ENXIO\): no NVIDIA GPU is reachable/);
  expect(why).not.toContain(HOW_TO_GET_WEBGPU_IN_NODE);
});

test('every manifest in use is checked, and only problems are reported', () => {
  manifest('libvulkan_ok.so', 'a.json');
  manifest('libvulkan_broken.so', 'b.json');
  const why = whyNoAdapter({ canLoad: loads(['libvulkan_broken.so']), canOpen: opens });
  expect(why).toMatch(/libvulkan_broken\.so \(from .*b\.json\) cannot be loaded/);
  expect(why).toContain(HOW_TO_GET_WEBGPU_IN_NODE); // a broken driver: the general advice follows
  expect(why).not.toMatch(/libvulkan_ok/);
  expect(whyNoAdapter({ canLoad: loads(), canOpen: opens })).toBeNull();
});
