// The one place that maps a shader family's name to its WGSL text (shaders/<name>.wgsl). Under Vite
// every shader is bundled as a string; a runtime without Vite (Node with Dawn, say) replaces this
// module with one that reads the same files from disk.
const files = import.meta.glob<string>('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true });

const sources = new Map(Object.entries(files).map(([path, text]) => [path.slice(path.lastIndexOf('/') + 1, -'.wgsl'.length), text]));

/** Every shader's name (its file name without .wgsl), sorted. */
export const shaderNames: readonly string[] = [...sources.keys()].sort();

export function shaderSource(name: string): string {
  const text = sources.get(name);
  if (text === undefined) throw new Error(`no shader 'shaders/${name}.wgsl' (shaders: ${shaderNames.join(', ')})`);
  return text;
}
