// The GPU context: one device, a pipeline cache, and a command recorder. Dispatches are recorded into
// one command encoder and submitted together by flush(); nothing comes back to the CPU unless read()
// asks for it. A missing adapter, a lost device or a validation error is an Error, never a silent
// wrong number.
// The device layer deals in buffers and views of them (BufferView); tensors and autograd live above it.
import { checkArgs, checkOverrides, packUniform, type BufferView, type DispatchArgs, type EntryPoint, type OverrideValues, type Shader, type UniformValues } from './shader';
import { indexedDbStore, KERNEL_SOURCES_HASH, Tuner, type TuningStore, VARIANT_POLICIES, type VariantPolicy } from './tuner';
import { expectFlag, expectOneOf, normalizeOptions } from '../options';

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface GpuOptions {
  /** Print every WGSL source as it is compiled, with its override constants. */
  debug?: boolean;
  /** 'tuned' (default): launchers run the variant timed fastest on this adapter; 'fixed': the defaults. */
  variantPolicy?: VariantPolicy;
  /** Where the tuner keeps its picks (default: IndexedDB in a page, the cache folder's tuning.json in Node: src/node/tuning-file.ts); null keeps none. */
  tuningStore?: TuningStore | null;
  /**
   * Node only, chosen once per process (default true). false turns off WebGPU's bounds checks on
   * buffer accesses (Dawn's disable_robustness toggle: neither the shader compiler's clamping nor
   * Vulkan's robustBufferAccess). The kernels check their own indices and are proved against
   * references with checks on; without them SwiftShader runs them faster, and a kernel bug could
   * read or write outside its buffers, in this process's memory on a CPU adapter.
   */
  boundsChecks?: boolean;
  /**
   * Tests: fill every new storage buffer with NaN before its first use, so that a kernel reading
   * what nothing wrote (WebGPU's zeros otherwise: a gradient that should have been overwritten,
   * accumulated into instead) fails its check.
   */
  poisonNewBuffers?: boolean;
}

export const HOW_TO_GET_WEBGPU =
  'Use Chrome or Chromium 113+ on a secure origin (https, http://localhost or http://127.0.0.1). ' +
  'Headless or without a GPU, start it with --enable-unsafe-webgpu: SwiftShader then provides a software adapter.';

// The limits a kernel may need beyond WebGPU's defaults; we ask for whatever the adapter offers.
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
] as const;

let defaultGpu: Gpu | null = null;

/** The device modules and tensors use when none is named: the first one requestGpu() returned. */
export function currentGpu(): Gpu {
  if (!defaultGpu) throw new Error('wgslgrad: no GPU yet; call `await requestGpu()` before creating modules');
  return defaultGpu;
}

export const HOW_TO_GET_WEBGPU_IN_NODE =
  'In Node, wgslgrad runs on Dawn (the `webgpu` npm package), on Linux over Vulkan: install your GPU\'s Vulkan driver and loader ' +
  '(Debian/Ubuntu: apt-get install libvulkan1 mesa-vulkan-drivers, or NVIDIA\'s driver), or Chromium (apt-get install chromium), ' +
  'whose SwiftShader driver then serves as a software adapter. macOS and Windows need nothing extra (Metal, Direct3D 12).';

const inNode = typeof process !== 'undefined' && process.versions?.node !== undefined;
/** What the Node runtime set up when it installed Dawn (see src/node/webgpu.ts). */
export interface NodeDawn {
  boundsChecks: boolean;
  /** Why no adapter was found, where it can tell. */
  explainNoAdapter(): string | null;
}
let nodeDawn: NodeDawn | undefined;
export function registerNodeDawn(setup: NodeDawn): void {
  nodeDawn = setup;
}
// Variables, so Vite leaves these Node-only modules out of the pages it serves and builds.
const NODE_WEBGPU = '../node/webgpu';
const NODE_TUNING_FILE = '../node/tuning-file';

export async function requestGpu(options: GpuOptions = {}): Promise<Gpu> {
  options = normalizeOptions('requestGpu', options, ['debug', 'variantPolicy', 'tuningStore', 'boundsChecks', 'poisonNewBuffers']) as GpuOptions;
  expectFlag('requestGpu', 'debug', options.debug);
  expectFlag('requestGpu', 'poisonNewBuffers', options.poisonNewBuffers);
  expectFlag('requestGpu', 'boundsChecks', options.boundsChecks);
  expectOneOf('requestGpu', 'variantPolicy', options.variantPolicy, VARIANT_POLICIES);
  const howTo = inNode ? HOW_TO_GET_WEBGPU_IN_NODE : HOW_TO_GET_WEBGPU;
  if (options.boundsChecks === false && !inNode) {
    throw new Error("requestGpu: boundsChecks: false is for Node (Dawn's disable_robustness toggle); a page cannot turn WebGPU's bounds checks off");
  }
  if (inNode && (typeof navigator === 'undefined' || !navigator.gpu)) {
    const node: typeof import('../node/webgpu') = await import(/* @vite-ignore */ NODE_WEBGPU);
    await node.installWebGpu({ boundsChecks: options.boundsChecks ?? true });
  }
  if (options.boundsChecks !== undefined && nodeDawn && nodeDawn.boundsChecks !== options.boundsChecks) {
    throw new Error(`requestGpu: Dawn is already set up in this process with bounds checks ${nodeDawn.boundsChecks ? 'on' : 'off'}; boundsChecks is chosen once, before the first requestGpu`);
  }
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    throw new Error(`WebGPU is not available here (navigator.gpu is missing). ${howTo}`);
  }
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    // A known cause carries its own fix (and the general advice where that applies).
    const cause = nodeDawn?.explainNoAdapter() ?? null;
    throw new Error(`No WebGPU adapter was found. ${cause ?? howTo}`);
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('timestamp-query') ? ['timestamp-query'] : [];
  const device = await adapter.requestDevice({ label: 'wgslgrad', requiredLimits, requiredFeatures });
  const info = adapter.info;
  const summary: AdapterSummary = {
    vendor: info.vendor,
    architecture: info.architecture,
    description: info.description,
    isFallbackAdapter: (info as { isFallbackAdapter?: boolean }).isFallbackAdapter ?? false,
  };
  const gpu = new Gpu(device, summary, { ...options, boundsChecks: nodeDawn?.boundsChecks ?? true });
  gpu.tuner.policy = options.variantPolicy ?? 'tuned';
  // The notices of a Node script that leaves the store to requestGpu go to stderr, with the engine's
  // warnings: its stdout may be data. The CLI passes its store and prints them where it reports.
  if (inNode && options.tuningStore === undefined) gpu.tuner.print = (line) => console.warn(line);
  if (gpu.tuner.policy === 'tuned') await gpu.tuner.attach(options.tuningStore !== undefined ? options.tuningStore : inNode ? await nodeTuningStore() : indexedDbStore());
  defaultGpu ??= gpu;
  return gpu;
}

/**
 * The Node runtime's store: a script keeps its picks, and a variant too slow to compile, across runs
 * (as the CLI and pages do). None where the module is not shipped (the GPU bundle's one-file runner,
 * whose cases time nothing across runs).
 */
async function nodeTuningStore(): Promise<TuningStore | null> {
  try {
    const file: typeof import('../node/tuning-file') = await import(/* @vite-ignore */ NODE_TUNING_FILE);
    return file.tuningFileStore;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

/** A software adapter (SwiftShader, llvmpipe/lavapipe): its shaders run on the CPU cores we share. */
export function isCpuAdapter(adapter: Pick<AdapterSummary, 'vendor' | 'architecture' | 'description' | 'isFallbackAdapter'>): boolean {
  return adapter.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
}

/** requestGpu, with a failure returned as its message, for pages that report it rather than throw. */
export async function tryRequestGpu(options: GpuOptions = {}): Promise<{ gpu: Gpu; error?: undefined } | { gpu?: undefined; error: string }> {
  try {
    return { gpu: await requestGpu(options) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

// Uniform values are written into slots of one buffer (256-byte aligned), uploaded once per submit.
// After a submit the slots are reused: queue order guarantees the earlier commands saw the old bytes.
const UNIFORM_ARENA_BYTES = 256 * 1024;

/**
 * The least and greatest of some integers, and the flat position where each first occurs; with the
 * values themselves when there are at most UPLOAD_VALUES_KEPT, so an error can name the first bad one.
 */
export interface UploadedRange {
  min: number;
  minAt: number;
  max: number;
  maxAt: number;
  values?: Int32Array;
}

/** An i32 upload of at most this many values (4 MiB) is kept with its range. */
export const UPLOAD_VALUES_KEPT = 1 << 20;

function extremes(values: ArrayLike<number>): UploadedRange {
  const range = { min: Infinity, minAt: -1, max: -Infinity, maxAt: -1 };
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < range.min) [range.min, range.minAt] = [v, i];
    if (v > range.max) [range.max, range.maxAt] = [v, i];
  }
  return range;
}

/** Bind groups kept (see Gpu.bindGroups); a training step uses a few dozen. */
const MAX_BIND_GROUPS = 4096;
/** Reads up to this many bytes share power-of-two staging buffers (Gpu.read). */
const STAGING_CLASSES_UP_TO = 16 * 2 ** 20;
/** Distinct byte ranges a buffer's write log keeps (writtenSince); past it one range covers the buffer. */
const WRITE_RANGES = 4096;

export class Gpu {
  readonly limits: GPUSupportedLimits;
  readonly hasTimestamps: boolean;
  /** false where Dawn was set up without bounds checks (GpuOptions.boundsChecks). */
  readonly boundsChecks: boolean;
  /** GpuOptions.poisonNewBuffers: new storage buffers start as NaN (tests). */
  readonly poisonNewBuffers: boolean;
  private nanFill = new Float32Array(0);
  debug: boolean;
  /** Counters for tests and the bench: buffers alive (and their bytes) and ever created, dispatches, submits, readbacks, bind groups made. */
  readonly stats = { liveBuffers: 0, liveBytes: 0, buffersCreated: 0, dispatches: 0, submits: 0, reads: 0, bindGroupsCreated: 0 };
  /** Picks each launcher's variant on this adapter (src/tuner.ts); tunes at the next read or sync. */
  readonly tuner: Tuner;

  private readonly modules = new Map<Shader, GPUShaderModule>();
  private readonly layouts = new Map<EntryPoint, GPUBindGroupLayout>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  /**
   * Bind groups by kernel and buffers bound. A training step binds the same buffers every step, and
   * creating a bind group is the costliest call of a dispatch (~22 µs in Dawn's Node binding, of
   * ~50); the uniforms' place in the arena changes per dispatch, so it is a dynamic offset.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  /** Buffers this Gpu made, and those since destroyed: a dispatch, read or write checks each it touches. */
  private readonly ours = new WeakSet<GPUBuffer>();
  private readonly destroyed = new WeakSet<GPUBuffer>();
  /** Each buffer's last i32 upload and its extremes, until the GPU writes that buffer (see uploadedRange). */
  private readonly uploads = new WeakMap<GPUBuffer, { byteOffset: number; byteLength: number; range: UploadedRange }>();
  /**
   * Every write (a dispatch's writable binding, a write, a clear, a copy into it) is numbered in one
   * sequence; each buffer keeps, per byte range written, the number of its last write, and the last
   * number of all (see writtenSince).
   */
  private writeSeq = 0;
  private readonly writeLogs = new WeakMap<GPUBuffer, { last: number; ranges: Map<string, { seq: number; start: number; end: number }> }>();
  private nextBufferId = 1;
  private readonly staging = new Map<number, GPUBuffer[]>();
  private readonly uniformArena: GPUBuffer;
  /**
   * Fill bindings that a kernel's overrides leave unused (a missing bias, AMSGrad's state off).
   * Two, because two writable bindings may not share one buffer.
   */
  readonly placeholders: [BufferView, BufferView];
  /** Grow-only scratch buffers by name (see scratch()), and outgrown ones to free after the next submit. */
  private readonly scratches = new Map<string, BufferView>();
  private retired: GPUBuffer[] = [];
  private readonly uniformBytes = new Uint8Array(UNIFORM_ARENA_BYTES);
  private uniformUsed = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private failure: Error | null = null;

  constructor(
    readonly device: GPUDevice,
    readonly adapter: AdapterSummary,
    options: GpuOptions = {},
  ) {
    this.limits = device.limits;
    this.hasTimestamps = device.features.has('timestamp-query');
    this.debug = options.debug ?? false;
    this.boundsChecks = options.boundsChecks ?? true;
    this.poisonNewBuffers = options.poisonNewBuffers ?? false;
    this.tuner = new Tuner(this, KERNEL_SOURCES_HASH);
    device.addEventListener('uncapturederror', (event) => {
      this.failure ??= new Error(`WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`);
    });
    void device.lost.then((info) => {
      this.failure ??= new Error(`WebGPU device lost (${info.reason}): ${info.message}`);
    });
    this.uniformArena = this.createBuffer(UNIFORM_ARENA_BYTES, 'uniform arena', GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    this.placeholders = [this.view(this.createBuffer(16, 'unused binding 0'), 'f32'), this.view(this.createBuffer(16, 'unused binding 1'), 'f32')];
  }

  /** Throws the first error the device reported, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  createBuffer(byteLength: number, label: string, usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST): GPUBuffer {
    this.check();
    if (!Number.isInteger(byteLength) || byteLength <= 0) throw new Error(`buffer '${label}': size must be a positive integer of bytes, got ${byteLength}`);
    if (byteLength > this.limits.maxBufferSize) throw new Error(`buffer '${label}': ${byteLength} bytes exceeds this adapter's maxBufferSize (${this.limits.maxBufferSize})`);
    const buffer = this.device.createBuffer({ label, size: Math.ceil(byteLength / 4) * 4, usage });
    this.ours.add(buffer);
    if (this.poisonNewBuffers && usage & GPUBufferUsage.STORAGE) this.poison(buffer);
    this.stats.liveBuffers++;
    this.stats.liveBytes += buffer.size;
    this.stats.buffersCreated++;
    return buffer;
  }

  /** NaN into every byte of a new buffer; queued now, so before any command that can use it. */
  private poison(buffer: GPUBuffer): void {
    const floats = buffer.size / 4;
    if (this.nanFill.length < floats) this.nanFill = new Float32Array(floats).fill(NaN);
    this.device.queue.writeBuffer(buffer, 0, this.nanFill, 0, floats);
  }

  /** Whether destroyBuffer freed this buffer. */
  isDestroyed(buffer: GPUBuffer): boolean {
    return this.destroyed.has(buffer);
  }

  /** Frees a buffer; recorded commands that use it are submitted first, so they still run. */
  destroyBuffer(buffer: GPUBuffer): void {
    if (this.destroyed.has(buffer)) return;
    this.unwritten.delete(buffer);
    if (this.encoder) this.flush();
    buffer.destroy();
    this.destroyed.add(buffer);
    this.stats.liveBuffers--;
    this.stats.liveBytes -= buffer.size;
  }

  /**
   * Throws, before anything is recorded, for a buffer of another Gpu (requestGpu() called twice) or
   * one destroyed: WebGPU would report either later, from an unrelated call, and the error would
   * stay with the device.
   */
  usable(view: BufferView, where: string): void {
    if (this.destroyed.has(view.buffer)) throw new Error(`${where}: '${view.label}' was destroyed (tensor.destroy(), or the end of the tidy() it was made in); make a new tensor, or return it from tidy() (or keep() it there) to keep it`);
    if (!this.ours.has(view.buffer)) throw new Error(`${where}: its tensors are on different Gpus ('${view.label}' is not on the one running it): requestGpu() made more than one; pass the same { gpu } to modules and tensors (or call requestGpu() once: the first is every module's default)`);
  }

  /**
   * A buffer of at least byteLength bytes for a kernel's intermediate results (v5 matmul's partial
   * sums), one per name, kept for the Gpu's life and grown (to a power of 2) when asked for more.
   * Being the same buffer each time, it keeps a training step's bind groups cached. Dispatches that
   * share it must each finish with it before the next begins: true of dispatches recorded in order
   * (WebGPU makes one dispatch's storage writes visible to the next, in a pass or across passes).
   */
  scratch(name: string, byteLength: number): BufferView {
    let view = this.scratches.get(name);
    if (!view || view.byteLength < byteLength) {
      // The outgrown buffer may be bound by recorded commands: it is freed after they are submitted.
      if (view) this.retired.push(view.buffer);
      const cap = Math.min(this.limits.maxBufferSize, this.limits.maxStorageBufferBindingSize);
      const bytes = byteLength > cap ? byteLength : Math.min(Math.max(2 ** Math.ceil(Math.log2(byteLength)), 4096), cap);
      view = this.view(this.createBuffer(bytes, name), 'f32');
      this.scratches.set(name, view);
    }
    return view;
  }

  /** The number of the last write so far: a mark to ask writtenSince about. */
  writeMark(): number {
    return this.writeSeq;
  }

  /**
   * Whether anything wrote the view's bytes after `mark` (writeMark()): the tape asks at backward()
   * about what each op's backward reads, so values changed in between (x.write(), an optimizer step,
   * another op's `out`) are an Error, not a gradient of values never computed together. Writes to
   * other bytes of the same buffer (another parameter in the arena) do not count.
   */
  writtenSince(view: { memoryBuffer: GPUBuffer; byteOffset: number; byteLength: number }, mark: number): boolean {
    const log = this.writeLogs.get(view.memoryBuffer);
    if (!log || log.last <= mark) return false;
    const [start, end] = [view.byteOffset, view.byteOffset + view.byteLength];
    for (const w of log.ranges.values()) if (w.seq > mark && w.start < end && w.end > start) return true;
    return false;
  }

  /**
   * Op outputs not yet written (Gpu.markUnwritten): an op refused at its dispatch (a destroyed or
   * stale input) frees the output it made for it, which no one else holds.
   */
  private unwritten = new Set<GPUBuffer>();

  /** An F op's new output buffer, freed if the first dispatch that binds it is refused. */
  markUnwritten(buffer: GPUBuffer): void {
    this.unwritten.add(buffer);
  }

  private freeUnwrittenOutputs(entry: EntryPoint, args: DispatchArgs): void {
    for (const b of entry.bindings) {
      if (b.kind !== 'storage') continue;
      let buffer: GPUBuffer;
      try {
        buffer = (args[b.name] as BufferView).buffer;
      } catch {
        continue; // a stale tensor's getter throws: not an output made for this dispatch
      }
      if (this.unwritten.delete(buffer)) this.destroyBuffer(buffer);
    }
  }

  private wrote(view: BufferView): void {
    this.unwritten.delete(view.buffer);
    let log = this.writeLogs.get(view.buffer);
    if (!log) this.writeLogs.set(view.buffer, (log = { last: 0, ranges: new Map() }));
    const seq = (log.last = ++this.writeSeq);
    const [start, end] = [view.byteOffset, view.byteOffset + view.byteLength];
    const key = `${start}:${end}`;
    const known = log.ranges.get(key);
    if (known) known.seq = seq;
    else log.ranges.set(key, { seq, start, end });
    // Past WRITE_RANGES distinct ranges (scratch of ever new sizes), one range over the whole buffer
    // stands for them all: conservative, never a write missed.
    if (log.ranges.size > WRITE_RANGES) log.ranges = new Map([['all', { seq, start: 0, end: view.buffer.size }]]);
  }

  /** A number per buffer object for bind-group keys (a new buffer never reuses one). */
  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  /** A view of a whole buffer. */
  view(buffer: GPUBuffer, dtype: BufferView['dtype']): BufferView {
    return { buffer, byteOffset: 0, byteLength: buffer.size, dtype, label: buffer.label };
  }

  /** Uploads data into a view. Pending dispatches are submitted first, so they see the old data. */
  write(view: BufferView, data: ArrayLike<number>): void {
    this.usable(view, 'write');
    const count = view.byteLength / 4;
    if (!ArrayBuffer.isView(data)) {
      // A plain array's elements become float32 through Number(): a nested array ([[1, 2], [3, 4]],
      // torch.tensor's way) or a string would be NaN without a word. null passes, as 0: JSON writes
      // NaN as null (an optimizer state's padding, saved and loaded).
      const bad = Array.prototype.findIndex.call(data, (v: unknown) => typeof v !== 'number' && v !== null);
      if (bad >= 0) {
        const v: unknown = data[bad];
        const text = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? `${x}n` : x)) : String(v);
        throw new Error(`write '${view.label}': element ${bad} is ${Array.isArray(v) ? `an array (${text}): give the values flat, with the shape (Tensor.fromArray(gpu, [1, 2, 3, 4], [2, 2]))` : `${typeof v} ${text}, not a number`}`);
      }
    }
    if (data.length !== count) throw new Error(`write '${view.label}': expected ${count} values, got ${data.length}`);
    if (view.dtype !== 'f32') {
      // Int32Array.from would wrap or truncate (−1 as u32 is 4294967295, 2.5 is 2) without a word.
      const [low, high] = view.dtype === 'u32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
      for (let i = 0; i < count; i++) {
        const v = data[i]!;
        if (!Number.isInteger(v) || v < low || v > high) throw new Error(`write '${view.label}': element ${i} is ${v}, not a ${view.dtype} (an integer in [${low}, ${high}])`);
      }
    }
    const typed = view.dtype === 'f32' ? Float32Array.from(data) : view.dtype === 'u32' ? Uint32Array.from(data) : Int32Array.from(data);
    this.wrote(view);
    if (this.encoder) this.flush();
    this.device.queue.writeBuffer(view.buffer, view.byteOffset, typed);
    if (view.dtype === 'i32') this.uploads.set(view.buffer, { byteOffset: view.byteOffset, byteLength: view.byteLength, range: { ...extremes(typed), ...(typed.length <= UPLOAD_VALUES_KEPT ? { values: typed as Int32Array } : {}) } });
    else this.uploads.delete(view.buffer);
  }

  /**
   * The extremes of the i32 values last uploaded into exactly this view, while no dispatch, copy or
   * clear has written its buffer since; null when unknown. An op taking indices checks them against
   * its bounds here at no cost, where a kernel could only write NaN (PyTorch raises).
   */
  uploadedRange(view: BufferView): UploadedRange | null {
    const upload = this.uploads.get(view.buffer);
    return upload && upload.byteOffset === view.byteOffset && upload.byteLength === view.byteLength ? upload.range : null;
  }

  private module(shader: Shader): GPUShaderModule {
    let module = this.modules.get(shader);
    if (!module) {
      module = this.device.createShaderModule({ label: shader.name, code: shader.source });
      this.modules.set(shader, module);
    }
    return module;
  }

  private layout(entry: EntryPoint): GPUBindGroupLayout {
    let layout = this.layouts.get(entry);
    if (!layout) {
      layout = this.device.createBindGroupLayout({
        label: `${entry.shader.name}.${entry.name}`,
        entries: entry.bindings.map((b) => ({ binding: b.binding, visibility: GPUShaderStage.COMPUTE, buffer: { type: b.kind, hasDynamicOffset: b.kind === 'uniform' } })),
      });
      this.layouts.set(entry, layout);
    }
    return layout;
  }

  pipeline(entry: EntryPoint, constants: OverrideValues = {}): GPUComputePipeline {
    const key = `${entry.shader.name}.${entry.name}${JSON.stringify(constants)}`;
    let pipeline = this.pipelines.get(key);
    if (!pipeline) {
      checkOverrides(entry.shader, constants);
      if (this.debug) console.log(`[wgslgrad] compiling ${key}\n${entry.shader.source}`);
      const numeric: Record<string, number> = {};
      for (const [k, v] of Object.entries(constants)) numeric[k] = Number(v);
      pipeline = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ label: key, bindGroupLayouts: [this.layout(entry)] }),
        compute: { module: this.module(entry.shader), entryPoint: entry.name, constants: numeric },
      });
      this.pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /** Compiles a shader now and throws its WGSL compile errors with line numbers. */
  async compile(shader: Shader): Promise<void> {
    const info = await this.module(shader).getCompilationInfo();
    const errors = info.messages.filter((m) => m.type === 'error');
    if (errors.length) throw new Error(`shader '${shader.name}' failed to compile:\n${errors.map((m) => `  line ${m.lineNum}:${m.linePos} ${m.message}`).join('\n')}`);
  }

  private commandEncoder(): GPUCommandEncoder {
    this.encoder ??= this.device.createCommandEncoder({ label: 'wgslgrad commands' });
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Records one dispatch; checks the arguments against the kernel's reflected bindings first. */
  dispatch(entry: EntryPoint, args: DispatchArgs, grid: readonly number[], constants: OverrideValues = {}): void {
    this.check();
    try {
      checkArgs(entry, args); // reads each tensor's buffer: a stale one throws here
      for (const b of entry.bindings) if (b.kind !== 'uniform') this.usable(args[b.name] as BufferView, `${entry.shader.name}.${entry.name}`);
    } catch (error) {
      this.freeUnwrittenOutputs(entry, args);
      throw error;
    }
    for (const b of entry.bindings) {
      if (b.kind !== 'storage') continue;
      this.uploads.delete((args[b.name] as BufferView).buffer);
      this.wrote(args[b.name] as BufferView);
    }
    const [x = 1, y = 1, z = 1] = grid;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if ([x, y, z].some((g) => !Number.isInteger(g) || g < 0 || g > max)) {
      throw new Error(`${entry.shader.name}.${entry.name}: workgroup grid [${x}, ${y}, ${z}] is outside 0..${max} per dimension`);
    }
    if (x * y * z === 0) return;
    const pipeline = this.pipeline(entry, constants);

    const align = this.limits.minUniformBufferOffsetAlignment;
    const uniformSlots = entry.bindings.filter((b) => b.kind === 'uniform').reduce((n, b) => n + Math.ceil(b.elementBytes / align) * align, 0);
    if (this.uniformUsed + uniformSlots > UNIFORM_ARENA_BYTES) this.flush();

    // Dynamic offsets go in binding order; entry.bindings is in binding order (shader.ts).
    const entries: GPUBindGroupEntry[] = [];
    const offsets: number[] = [];
    let key = `${entry.shader.name}.${entry.name}`;
    for (const b of entry.bindings) {
      const arg = args[b.name]!;
      if (b.kind === 'uniform') {
        const bytes = packUniform(entry, b, arg as UniformValues);
        offsets.push(this.uniformUsed);
        this.uniformBytes.set(new Uint8Array(bytes), this.uniformUsed);
        this.uniformUsed += Math.ceil(bytes.byteLength / align) * align;
        entries.push({ binding: b.binding, resource: { buffer: this.uniformArena, offset: 0, size: bytes.byteLength } });
        key += `|u${bytes.byteLength}`;
      } else {
        const view = arg as BufferView;
        entries.push({ binding: b.binding, resource: { buffer: view.buffer, offset: view.byteOffset, size: view.byteLength } });
        key += `|${this.bufferId(view.buffer)}:${view.byteOffset}:${view.byteLength}`;
      }
    }
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear(); // also drops those of freed buffers
      bindGroup = this.device.createBindGroup({ label: pipeline.label, layout: this.layout(entry), entries });
      this.bindGroups.set(key, bindGroup);
      this.stats.bindGroupsCreated++;
    }

    this.pass ??= this.commandEncoder().beginComputePass({ label: 'wgslgrad pass' });
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, bindGroup, offsets);
    this.pass.dispatchWorkgroups(x, y, z);
    this.stats.dispatches++;
  }

  /** Records a fill with zeros (the whole view). */
  clear(view: BufferView): void {
    this.usable(view, 'clear');
    this.uploads.delete(view.buffer);
    this.wrote(view);
    this.check();
    this.endPass();
    this.commandEncoder().clearBuffer(view.buffer, view.byteOffset, view.byteLength);
  }

  copy(source: BufferView, target: BufferView): void {
    if (source.byteLength !== target.byteLength) throw new Error(`copy '${source.label}' → '${target.label}': sizes differ (${source.byteLength} vs ${target.byteLength} bytes)`);
    this.usable(source, 'copy');
    this.usable(target, 'copy');
    this.uploads.delete(target.buffer);
    this.wrote(target);
    this.check();
    this.endPass();
    const encoder = this.commandEncoder();
    if (source.buffer === target.buffer) {
      // WebGPU copies only between two buffers: within one (parameters share theirs), through a scratch.
      const between = this.scratch('copy within a buffer', source.byteLength);
      encoder.copyBufferToBuffer(source.buffer, source.byteOffset, between.buffer, 0, source.byteLength);
      encoder.copyBufferToBuffer(between.buffer, 0, target.buffer, target.byteOffset, source.byteLength);
      return;
    }
    encoder.copyBufferToBuffer(source.buffer, source.byteOffset, target.buffer, target.byteOffset, source.byteLength);
  }

  /** Submits everything recorded so far as one command buffer. */
  flush(): void {
    this.check();
    if (!this.encoder) return;
    this.endPass();
    if (this.uniformUsed > 0) this.device.queue.writeBuffer(this.uniformArena, 0, this.uniformBytes, 0, this.uniformUsed);
    this.device.queue.submit([this.encoder.finish()]);
    this.stats.submits++;
    for (const buffer of this.retired) {
      buffer.destroy();
      this.stats.liveBuffers--;
      this.stats.liveBytes -= buffer.size;
    }
    this.retired = [];
    this.encoder = null;
    this.uniformUsed = 0;
  }

  /** Submits pending work and waits for the GPU to finish it. */
  async sync(): Promise<void> {
    if (this.tuner.hasPending) await this.tuner.tunePending();
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.check();
  }

  private timestampQueries: { set: GPUQuerySet; resolved: BufferView } | null = null;

  /**
   * Records fn's dispatches into one compute pass timed with timestamp queries (the adapter must
   * offer 'timestamp-query'); resolves to the pass's GPU time in milliseconds. Browsers may quantise
   * timestamps (Chrome to 100 µs unless started with --enable-webgpu-developer-features).
   */
  async timeDispatches(fn: () => void): Promise<number> {
    if (!this.hasTimestamps) throw new Error(`timeDispatches: adapter '${this.adapter.vendor} ${this.adapter.architecture}' has no 'timestamp-query' feature`);
    this.flush();
    this.timestampQueries ??= {
      set: this.device.createQuerySet({ label: 'pass timestamps', type: 'timestamp', count: 2 }),
      resolved: this.view(this.createBuffer(16, 'resolved timestamps', GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC), 'u32'),
    };
    const { set, resolved } = this.timestampQueries;
    const pass = this.commandEncoder().beginComputePass({ label: 'timed pass', timestampWrites: { querySet: set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } });
    this.pass = pass;
    fn();
    if (this.pass !== pass) throw new Error('timeDispatches: fn may only record dispatches (a copy or clear ends the timed pass)');
    this.endPass();
    this.commandEncoder().resolveQuerySet(set, 0, 2, resolved.buffer, 0);
    const [beginLow = 0, beginHigh = 0, endLow = 0, endHigh = 0] = await this.read(resolved);
    const nanoseconds = (BigInt(endHigh) << 32n) + BigInt(endLow) - ((BigInt(beginHigh) << 32n) + BigInt(beginLow));
    return Number(nanoseconds) / 1e6;
  }

  /** Copies a view back to the CPU (submitting pending work first). */
  async read(view: BufferView): Promise<Float32Array | Uint32Array | Int32Array> {
    this.usable(view, 'read');
    if (this.tuner.hasPending) await this.tuner.tunePending();
    this.check();
    this.stats.reads++;
    const size = view.byteLength;
    // Staging buffers by power-of-two size class (256 B up to 16 MiB), reused: reads of ever new
    // sizes (a generation loop's growing output) would otherwise keep one buffer per size for good.
    // Larger reads keep their exact size (twice it could pass the adapter's maxBufferSize).
    const capacity = size > STAGING_CLASSES_UP_TO ? size : Math.max(256, 2 ** Math.ceil(Math.log2(size)));
    const pool = this.staging.get(capacity) ?? [];
    this.staging.set(capacity, pool);
    const staging = pool.pop() ?? this.createBuffer(capacity, `readback ${capacity} B`, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(view.buffer, view.byteOffset, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (error) {
      this.check();
      throw error;
    }
    this.check();
    const bytes = staging.getMappedRange(0, size).slice(0);
    staging.unmap();
    pool.push(staging);
    return view.dtype === 'f32' ? new Float32Array(bytes) : view.dtype === 'u32' ? new Uint32Array(bytes) : new Int32Array(bytes);
  }

  destroy(): void {
    this.device.destroy();
  }
}
