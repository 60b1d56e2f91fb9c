// Option objects as a PyTorch port passes them: camelCase names, or PyTorch's snake_case pasted as
// is. An unknown option is an Error naming it and listing the known ones, and an option PyTorch has
// that we support only at its default is an Error when given another value: a misspelt or
// unsupported option never passes silently. Used by nn, init, optim, the schedulers, data and requestGpu.

/** A value as an error message shows it: strings quoted, as given. */
export function show(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const kind = (value as object).constructor?.name;
    return kind && kind !== 'Object' ? `a ${kind}` : 'an object';
  }
  return String(value);
}

/** A float as Python's repr prints it (PyTorch's module reprs): 1e-05, 0.1, 1.0, 1e+16. */
export function pythonFloat(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf';
  const magnitude = Math.abs(v);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e16)) return pythonExponent(v.toExponential());
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** JavaScript's exponential notation (1.5e-5) as Python writes it (1.5e-05): a sign and two digits at least. */
export function pythonExponent(text: string): string {
  const [mantissa, exponent] = text.split('e') as [string, string];
  const e = Number(exponent);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

/**
 * Options as given → camelCase (undefined values dropped). `aliases` maps PyTorch's spellings to
 * ours; `onlyDefault` lists options accepted only at PyTorch's default (any other value is refused).
 */
export function normalizeOptions(where: string, given: object, known: readonly string[], aliases: Record<string, string> = {}, onlyDefault: Record<string, unknown> = {}): Record<string, unknown> {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) {
    // Most often a PyTorch positional argument (nn.MaxPool2d(2, 2), optim.SGD(params, 0.01)): named here.
    const first = known.find((k) => k !== 'gpu');
    const hint = given !== null && typeof given !== 'object' && first ? `: PyTorch's later positional arguments are named options here (${known.filter((k) => k !== 'gpu').join(', ')}): if ${show(given)} is ${first}, write { ${first}: ${show(given)} }` : '';
    throw new Error(`${where}: options expected an object, got ${Array.isArray(given) ? 'an array' : show(given)}${hint}`);
  }
  const all = [...known, ...Object.keys(onlyDefault)];
  const out: Record<string, unknown> = {};
  const spelled: Record<string, string> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const name = aliases[key] ?? key;
    if (!all.includes(name)) {
      const snake = Object.entries(aliases).filter(([, c]) => all.includes(c)).map(([s]) => s);
      // A loss's deprecated PyTorch arguments get their modern spelling.
      const deprecated = (key === 'size_average' || key === 'reduce') && all.includes('reduction') ? `; PyTorch's deprecated size_average and reduce are not taken: reduction 'sum' is size_average=False, 'none' is reduce=False` : '';
      // PyTorch's out= writes into a tensor given: here the ops that take it say so; the rest make a new one.
      const out = key === 'out' ? `; out= is not taken here: copy the result into a tensor of your own (c.copy_(…) under noGrad), or let the op make it` : '';
      throw new Error(`${where}: unknown option '${key}' (known: ${all.join(', ')}${snake.length ? `; or PyTorch's ${snake.join(', ')}` : ''})${deprecated}${out}`);
    }
    if (name in out) throw new Error(`${where}: option '${name}' given twice, as '${spelled[name]}' and '${key}'`);
    if (name in onlyDefault && value !== onlyDefault[name]) throw new Error(`${where}: ${key}=${show(value)} is not supported (only PyTorch's default, ${key}=${show(onlyDefault[name])})`);
    out[name] = value;
    spelled[name] = key;
  }
  return out;
}

/** An Error naming the option unless it is undefined or a boolean (PyTorch's bias=0 would pass as falsy). */
export function expectFlag(where: string, name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new Error(`${where}: option '${name}' expected true or false, got ${show(value)}`);
}

/** An Error naming the option unless it is undefined or one of `allowed`. */
export function expectOneOf(where: string, name: string, value: unknown, allowed: readonly unknown[]): void {
  if (value !== undefined && !allowed.includes(value)) throw new Error(`${where}: option '${name}' expected ${allowed.map(show).join(' or ')}, got ${show(value)}`);
}

/**
 * A PyTorch argument we lack, given anyway (JavaScript would drop it silently): an Error saying what
 * to do instead. `args` is the call's rest parameter; undefined and null count as not given (PyTorch's None).
 */
export function expectNoArguments(where: string, given: readonly unknown[], instead: string): void {
  const args = given.filter((a) => a !== undefined && a !== null);
  if (args.length > 0) throw new Error(`${where}: got ${args.length === 1 ? 'an argument' : `${args.length} arguments`} (${args.map((a) => (typeof a === 'function' ? 'a function' : show(a))).join(', ')}), which it does not take: ${instead}`);
}

/** zeroGrad's PyTorch argument set_to_none: true (PyTorch 2's default) or false; anything more is an Error. */
export function expectZeroGradArguments(where: string, setToNone: unknown, more: readonly unknown[]): void {
  if (typeof setToNone !== 'boolean') throw new Error(`${where}: argument 'setToNone' expected true or false, got ${show(setToNone)}`);
  expectNoArguments(where, more, 'its one argument is setToNone');
}
