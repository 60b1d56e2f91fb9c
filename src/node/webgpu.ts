// WebGPU in Node: Dawn, the implementation inside Chrome, through the `webgpu` package's bindings
// (dawn.node). installWebGpu() puts its `navigator.gpu` and the GPU* constants on globalThis, so the
// engine runs unchanged; requestGpu() calls it by itself when it finds no navigator.gpu in Node.
//
// On Linux Dawn drives the GPU through Vulkan: it dlopens the loader (libvulkan.so.1), which reads
// the drivers' JSON manifests (ICDs). A machine without a GPU driver still has one Vulkan driver if
// Chromium is installed: SwiftShader (a CPU implementation) with a loader beside it. We use it
// only when the system offers no driver, and set nothing the user has already set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOW_TO_GET_WEBGPU_IN_NODE, isCpuAdapter, registerNodeDawn } from '../device/gpu';

/** Where the Vulkan loader looks for driver manifests when VK_ICD_FILENAMES is not set. */
const SYSTEM_ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/share/vulkan/icd.d'];

/** Chromium and Chrome install SwiftShader's Vulkan driver and a loader in their own folder (CHROME_PATH's too). */
const CHROMIUM_DIRS = ['/usr/lib/chromium', '/usr/lib/chromium-browser', '/usr/lib64/chromium-browser', '/opt/google/chrome'];

// glibc's RTLD_NODELETE, which Node's os.constants.dlopen does not list.
const RTLD_NODELETE = 0x1000;

/**
 * Loads a shared library into this process and keeps it there. process.dlopen expects a Node addon
 * and closes anything else again ("did not self-register"), but RTLD_NODELETE keeps the library
 * mapped, so Dawn's later dlopen("libvulkan.so.1") finds it by its soname. Returns whether it loaded.
 */
function preload(file: string): boolean {
  const { RTLD_NOW, RTLD_GLOBAL } = os.constants.dlopen;
  try {
    process.dlopen({ exports: {} }, file, (RTLD_NOW ?? 2) | (RTLD_GLOBAL ?? 0x100) | RTLD_NODELETE);
    return true;
  } catch (error) {
    return /did not self-register/.test(error instanceof Error ? error.message : String(error));
  }
}

const jsonIn = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => path.join(dir, f)) : []);

function hasSystemIcd(): boolean {
  return SYSTEM_ICD_DIRS.some((dir) => jsonIn(dir).length > 0);
}

/**
 * NVIDIA containers mount the driver's Vulkan manifest and EGL vendor file under /usr/local/nvidia,
 * where neither the Vulkan loader nor libglvnd looks; NVIDIA's Vulkan driver needs libglvnd's EGL
 * to start (seen on H100/H200 machines: without them, no adapter). Named here, as the GPU bundle's
 * run.sh names them, when the system offers none of its own.
 */
const NVIDIA_ICD_DIR = '/usr/local/nvidia/share/vulkan/icd.d';
const NVIDIA_EGL_VENDOR = '/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json';
const EGL_VENDOR_DIRS = ['/usr/share/glvnd/egl_vendor.d', '/etc/glvnd/egl_vendor.d'];
/** Where those containers keep the driver's libraries, outside the linker's cache (the bundle's run.sh adds them). */
const NVIDIA_LIBRARY_DIRS = ['/usr/local/nvidia/lib64', '/usr/local/nvidia/lib'];

/** What installWebGpu chose for Vulkan, for messages and the bench report. */
export interface VulkanSetup {
  loader: 'system' | string;
  drivers: 'system' | string;
}

/** Where a loaded library came from (LD_LIBRARY_PATH may have picked a bundled one), from /proc/self/maps. */
function mappedPath(name: string): string | null {
  try {
    const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.includes(`/${name}`));
    return line ? line.slice(line.indexOf('/')) : null;
  } catch {
    return null;
  }
}

/**
 * Makes sure Dawn will find a Vulkan loader and a driver (Linux only): the system's when present,
 * else Chromium's SwiftShader. VK_ICD_FILENAMES is read when Dawn creates its Vulkan instance, so
 * setting it here, before the first requestAdapter, is enough; the loader library is preloaded.
 */
function prepareVulkan(): VulkanSetup | null {
  if (process.platform !== 'linux') return null;
  const dirs = process.env.CHROME_PATH && fs.existsSync(process.env.CHROME_PATH) ? [path.dirname(fs.realpathSync(process.env.CHROME_PATH)), ...CHROMIUM_DIRS] : CHROMIUM_DIRS;
  const chromium = dirs.find((dir) => fs.existsSync(path.join(dir, 'vk_swiftshader_icd.json')));
  let loader: VulkanSetup['loader'] = 'system';
  if (preload('libvulkan.so.1')) loader = mappedPath('libvulkan.so.1') ?? loader;
  else {
    if (!chromium || !preload(path.join(chromium, 'libvulkan.so.1'))) return null;
    loader = path.join(chromium, 'libvulkan.so.1');
  }
  let drivers: VulkanSetup['drivers'] = 'system';
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES) drivers = (process.env.VK_DRIVER_FILES || process.env.VK_ICD_FILENAMES)!;
  else if (!hasSystemIcd()) {
    const nvidia = jsonIn(NVIDIA_ICD_DIR);
    if (nvidia.length) process.env.VK_ICD_FILENAMES = drivers = nvidia.join(':');
    else if (chromium) process.env.VK_ICD_FILENAMES = drivers = path.join(chromium, 'vk_swiftshader_icd.json');
  }
  if (!process.env.__EGL_VENDOR_LIBRARY_FILENAMES && fs.existsSync(NVIDIA_EGL_VENDOR) && !EGL_VENDOR_DIRS.some((dir) => jsonIn(dir).length)) {
    process.env.__EGL_VENDOR_LIBRARY_FILENAMES = NVIDIA_EGL_VENDOR;
  }
  return { loader, drivers };
}

/** The libraries NVIDIA's Vulkan driver loads at instance creation (libglvnd's EGL). */
const GLVND = ['libEGL.so.1', 'libGLdispatch.so.0'];
/** The Debian packages that made an H100 container without libglvnd find its GPU (README, "On a GPU"). */
const NVIDIA_PACKAGES = 'libvulkan1 libglvnd0 libegl1 libgl1 libglx0 libopengl0 libgles2';

/** The driver library a Vulkan manifest names, or what is wrong with the manifest. */
function icdLibrary(manifest: string): { library: string } | { problem: string } {
  if (!fs.existsSync(manifest)) return { problem: 'does not exist' };
  if (fs.statSync(manifest).isDirectory()) return { problem: 'is a folder, not a file' };
  let json: { ICD?: { library_path?: unknown } };
  try {
    json = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  } catch (error) {
    return { problem: `is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const library = json?.ICD?.library_path;
  return typeof library === 'string' ? { library } : { problem: 'names no ICD.library_path' };
}

/**
 * Why Dawn found no adapter, where we can tell: the Vulkan loader only prints warnings, and the
 * error a user sees would otherwise be the same for every cause. Checks the manifests in use: each
 * must be readable and its library loadable; NVIDIA's driver loads fine but returns no instance
 * without libglvnd's EGL (what an H100 container without libglvnd did) or, in a container, without
 * an EGL vendor file naming its libEGL_nvidia; and with all that, it needs the GPU's device file.
 * The probes (each returns an error, or null) are parameters so tests can stand in for dlopen and open.
 */
export function whyNoAdapter({ canLoad = loadError, canOpen = openError } = {}): string | null {
  if (canLoad('libvulkan.so.1') !== null) {
    const nvidia = jsonIn(NVIDIA_ICD_DIR).length > 0;
    return `The Vulkan loader (libvulkan.so.1) cannot be loaded, and there is no Chromium whose copy could stand in: install libvulkan1${nvidia ? ` (NVIDIA's driver also needs libglvnd: ${NVIDIA_PACKAGES})` : ''}, or use the GPU bundle (npm run gpu-bundle), which carries them.`;
  }
  const envName = process.env.VK_DRIVER_FILES ? 'VK_DRIVER_FILES' : process.env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : null;
  const manifests = envName ? process.env[envName]!.split(':').filter(Boolean) : [...SYSTEM_ICD_DIRS, NVIDIA_ICD_DIR].flatMap(jsonIn);
  if (!manifests.length) return `No Vulkan driver manifest (ICD) was found in ${[...SYSTEM_ICD_DIRS, NVIDIA_ICD_DIR].join(', ')}. ${HOW_TO_GET_WEBGPU_IN_NODE}`;
  const problems: string[] = [];
  // A broken manifest or driver library: the general advice follows. NVIDIA's causes name their own fix.
  let general = false;
  for (const manifest of manifests) {
    const read = icdLibrary(manifest);
    if ('problem' in read) {
      problems.push(`the Vulkan driver manifest ${manifest}${envName ? ` (from ${envName})` : ''} ${read.problem}`);
      general = true;
      continue;
    }
    const { library } = read;
    const file = library.includes('/') ? path.resolve(path.dirname(manifest), library) : library;
    const error = canLoad(file);
    if (error) {
      const dir = library.includes('/') ? undefined : NVIDIA_LIBRARY_DIRS.find((d) => fs.existsSync(path.join(d, library)));
      const where = dir ? `; it is in ${dir}, which is not on the library path: start Node with LD_LIBRARY_PATH=${dir}` : '';
      problems.push(`the Vulkan driver ${library} (from ${manifest}) cannot be loaded: ${error}${where}`);
      general ||= !dir;
      continue;
    }
    if (!/nvidia/i.test(library)) continue;
    const missing = GLVND.filter((lib) => canLoad(lib) !== null);
    if (missing.length) {
      problems.push(`NVIDIA's Vulkan driver (${manifest}) needs libglvnd, and ${missing.join(' and ')} cannot be loaded: ` +
        `install ${NVIDIA_PACKAGES} (Debian/Ubuntu; what an H100 container needed), or use the GPU bundle (npm run gpu-bundle), which carries them`);
    } else if (!process.env.__EGL_VENDOR_LIBRARY_FILENAMES && !EGL_VENDOR_DIRS.some((dir) => jsonIn(dir).some((f) => /nvidia/i.test(fs.readFileSync(f, 'utf8'))))) {
      problems.push(`NVIDIA's Vulkan driver (${manifest}) needs an EGL vendor file naming libEGL_nvidia.so.0, and none is in ${EGL_VENDOR_DIRS.join(' or ')}: ` +
        'set __EGL_VENDOR_LIBRARY_FILENAMES to the driver\'s 10_nvidia.json');
    } else {
      const device = canOpen('/dev/nvidiactl');
      if (device) problems.push(`NVIDIA's Vulkan driver (${manifest}) loads, but /dev/nvidiactl cannot be opened (${device}): no NVIDIA GPU is reachable from here (kernel module not loaded, or a container started without the GPU)`);
    }
  }
  if (!problems.length) return null;
  return problems.map((p) => p[0]!.toUpperCase() + p.slice(1) + '.').join(' ') + (general ? ` ${HOW_TO_GET_WEBGPU_IN_NODE}` : '');
}

/** Why a device file cannot be opened for reading and writing (its error code), or null when it can. */
function openError(file: string): string | null {
  try {
    fs.closeSync(fs.openSync(file, 'r+'));
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

/** dlopen's error for a library, or null when it loads (the library is closed again). */
function loadError(file: string): string | null {
  try {
    process.dlopen({ exports: {} }, file, os.constants.dlopen.RTLD_LAZY ?? 1);
    return null;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return /did not self-register/.test(message) ? null : message;
  }
}

/**
 * Dawn's Node binding waits for the GPU by polling: while a promise of its own is pending it calls
 * ProcessEvents from setImmediate, again and again, so the main thread spins at 100% for the whole
 * wait. On a CPU adapter (SwiftShader) that spin takes a core from the shaders: a training step took
 * about 1.5–2× as long. The binding looks setImmediate up on globalThis each time it schedules, so
 * while one of the engine's waits (onSubmittedWorkDone, mapAsync) is pending we hand it a 1 ms timer
 * instead: at most 1 ms more per wait, and a quiet thread. Outside those waits setImmediate is Node's.
 * On a hardware GPU the CPU has nothing else to do and a wait can be a tenth of a millisecond, so
 * there the spin is kept: each adapter requested sets the policy (waitPolitely) for the waits after.
 */
let polite = true;

/** Whether waits poll every 1 ms (CPU adapters) or spin (hardware GPUs); see pollPolitely. */
export function waitPolitely(yes: boolean): void {
  polite = yes;
}

function pollPolitely(globals: Record<string, unknown>): void {
  let immediate: typeof setImmediate | null = null; // the setImmediate we replaced, while we have
  const timer = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => setTimeout(fn, 1, ...args)) as unknown as typeof setImmediate;
  let pending = 0;
  const wrap = (proto: Record<string, unknown> | undefined, name: string) => {
    const original = proto?.[name];
    if (typeof original !== 'function') return;
    proto![name] = function (this: unknown, ...args: unknown[]) {
      if (pending++ === 0 && polite) [immediate, globalThis.setImmediate] = [globalThis.setImmediate, timer];
      const done = () => {
        if (--pending === 0 && immediate) [globalThis.setImmediate, immediate] = [immediate, null];
      };
      try {
        const promise = (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
        promise.then(done, done);
        return promise;
      } catch (error) {
        done();
        throw error;
      }
    };
  };
  const proto = (name: string) => (globals[name] as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  wrap(proto('GPUQueue'), 'onSubmittedWorkDone');
  wrap(proto('GPUBuffer'), 'mapAsync');
}

let installed: { promise: Promise<VulkanSetup | null>; boundsChecks: boolean } | null = null;

/**
 * Installs Dawn's navigator.gpu and GPU* globals (once); resolves to the Vulkan setup chosen.
 * boundsChecks (default true) is Dawn's robustness, an instance-wide toggle: chosen at the first
 * call, and a later call asking for the other setting is an error.
 */
export function installWebGpu({ boundsChecks = true }: { boundsChecks?: boolean } = {}): Promise<VulkanSetup | null> {
  if (installed) {
    if (installed.boundsChecks !== boundsChecks) throw new Error(`installWebGpu: Dawn is already set up in this process with bounds checks ${installed.boundsChecks ? 'on' : 'off'}`);
    return installed.promise;
  }
  const promise = (async () => {
    const vulkan = prepareVulkan();
    registerNodeDawn({ boundsChecks, explainNoAdapter: () => whyNoAdapter() });
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    pollPolitely(globals as Record<string, unknown>);
    // Timestamps unquantised: Dawn rounds them (as browsers do, against timing attacks) to steps
    // that hide a small kernel's time altogether, and the autotuner and the bench read them here.
    // Without bounds checks: disable_robustness, which Dawn counts among its unsafe APIs.
    const gpu = create(['disable-dawn-features=timestamp_quantization', ...(boundsChecks ? [] : ['enable-dawn-features=disable_robustness,allow_unsafe_apis'])]);
    const requestAdapter = gpu.requestAdapter.bind(gpu);
    gpu.requestAdapter = async (options?: GPURequestAdapterOptions) => {
      const adapter = await requestAdapter(options);
      if (adapter) waitPolitely(isCpuAdapter({ ...adapter.info, isFallbackAdapter: (adapter.info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false }));
      return adapter;
    };
    // Node 21+ has a navigator object; Node 20 has none. Ours carries a userAgent as Node 21's does,
    // since browser libraries read navigator.userAgent once they see a navigator (jax-js does).
    if (typeof navigator === 'undefined') Object.defineProperty(globalThis, 'navigator', { value: { gpu, userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true, writable: true });
    else Object.defineProperty(navigator, 'gpu', { value: gpu, configurable: true });
    return vulkan;
  })();
  installed = { promise, boundsChecks };
  return promise;
}
