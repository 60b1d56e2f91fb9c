// The case study's data pipeline, as in the course (pandas + scikit-learn + torch.utils.data):
// a CSV reader that checks every cell, a stratified seeded train/test split, a StandardScaler fitted
// on the training rows only, and a DataLoader with a seeded shuffle each epoch. Plain TypeScript:
// the same code runs in Node (npm start) and in the browser (the demo page).
import Papa from 'papaparse';
import { mulberry32, shuffle } from './random';
import { decimal } from './run-config';
import { expectFlag, normalizeOptions, show } from './options';

export interface Dataset {
  /** Feature column names, in file order. */
  features: string[];
  label: string;
  /** Class names in index order: the sorted distinct labels (numerically when all are numbers). */
  classes: string[];
  /** rows × features, row-major. */
  x: Float32Array;
  /** Class index of each row. */
  y: Uint32Array;
  rows: number;
  /** Where the rows came from (a file name), for error messages. */
  source?: string;
}

export interface CsvOptions {
  /** The label column's name; the last column when absent. */
  label?: string;
  /** The field separator: ',' unless given. */
  delimiter?: string;
  /** Called with each warning (a file that parses but looks wrong); warnings are ignored when absent. */
  warn?: (message: string) => void;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const isNumber = (text: string) => Number.isFinite(decimal(text));
/** Non-finite numbers, in any case: never a feature's value nor a class. */
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;
/** The markers pandas' read_csv reads as missing (its default na_values, case as written): never a class. */
const MISSING = new Set(['#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']);
const isMissing = (cell: string) => MISSING.has(cell) || NOT_FINITE.test(cell);

/**
 * A numeric label's class name: its value, so '1', '1.0' and '1e0' are one class, '1'. Integers
 * are read exactly (9007199254740993 and 9007199254740992 are two classes, as in pandas' int64).
 */
function numericClass(cell: string): string {
  const integer = /^[+-]?\d+$/.test(cell);
  return integer ? BigInt(cell).toString() : String(decimal(cell));
}
const isInteger = (name: string) => /^-?\d+$/.test(name);
/** Numeric class names in increasing order (exact for integers past 2^53). */
function compareNumeric(a: string, b: string): number {
  if (isInteger(a) && isInteger(b)) return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
  return Number(a) - Number(b);
}

/** The delimiter a one-column line seems to use instead, in the words of a message. */
function otherDelimiter(line: string, delimiter: string): string | null {
  for (const [d, name] of [[';', "';'"], ['\t', 'tab'], ['|', "'|'"]] as const) if (d !== delimiter && line.includes(d)) return name;
  return null;
}

/**
 * Parses a CSV with a header row; every feature must be a number that float32 can hold. Errors name
 * file, line and column. Numeric labels are one class per value ('1' and '1.0' are the class '1').
 */
export function parseCsv(text: string, source: string, options: CsvOptions = {}): Dataset {
  const { delimiter = ',' } = options;
  if (text.trim() === '') throw new Error(`${source}: the file is empty`);
  const parsed = Papa.parse<string[]>(text, { delimiter, skipEmptyLines: false });
  const fatal = parsed.errors.find((e) => e.type === 'Quotes');
  if (fatal) throw new Error(`${source}:${(fatal.row ?? 0) + 1}: ${fatal.message}`);
  const lines = parsed.data;
  const header = (lines[0] ?? []).map((h) => h.trim());
  const delimiterHint = (fields: string[]) => {
    const other = fields.length === 1 ? otherDelimiter(fields[0]!, delimiter) : null;
    return other ? `; the line looks ${other}-separated: pass --delimiter ${other}` : '';
  };
  if (header.length < 2) throw new Error(`${source}:1: expected a header with at least one feature and a label column, found ${header.length} column(s)${delimiterHint(header)}`);
  const seen = new Set<string>();
  header.forEach((name, c) => {
    if (name === '') throw new Error(`${source}:1: column ${c + 1} has an empty name in the header`);
    if (seen.has(name)) {
      // A headerless file: its first row of data repeats values (0s and 1s) as "names".
      if (header.slice(0, -1).every(isNumber) && isNumber(name)) {
        throw new Error(`${source}:1: the first row looks like data, not a header (its names are numbers, and '${name}' appears twice): add a header line naming the columns, the label last`);
      }
      throw new Error(`${source}:1: column name '${name}' appears twice in the header`);
    }
    seen.add(name);
  });
  const label = options.label ?? header[header.length - 1]!;
  const labelColumn = header.indexOf(label);
  if (labelColumn < 0) throw new Error(`${source}: unknown label column '${label}' (columns: ${header.join(', ')})`);
  const features = header.filter((_, c) => c !== labelColumn);
  if (features.every(isNumber)) options.warn?.(`${source}:1: the header row looks like data (${features.length > 1 ? 'every feature name is a number' : 'the feature name is a number'}: ${features.slice(0, 4).join(', ')}${features.length > 4 ? ', …' : ''}); a headerless file loses its first row to column names: add a header line`);

  const values: number[] = [];
  const labels: string[] = [];
  // Each row's line in the file: a quoted field may hold line breaks, which move the rows after it.
  let nextLine = 1;
  const startLines = lines.map((fields) => {
    const start = nextLine;
    nextLine += 1 + fields.reduce((n, f) => n + (f.match(/\n/g)?.length ?? 0), 0);
    return start;
  });
  lines.slice(1).forEach((fields, r) => {
    const line = startLines[r + 1]!;
    if (fields.length === 1 && fields[0]!.trim() === '') return; // a blank line
    if (fields.length !== header.length) throw new Error(`${source}:${line}: expected ${header.length} fields (as the header), found ${fields.length}${delimiterHint(fields)}`);
    fields.forEach((raw, c) => {
      const cell = raw.trim();
      const where = `${source}:${line}: column ${c + 1} ('${header[c]}')`;
      if (cell === '') throw new Error(`${where} is empty`);
      if (c === labelColumn) {
        if (isMissing(cell)) throw new Error(`${where}: the label '${cell}' is a missing or non-finite value (pandas reads it as NaN), not a class; drop the row or give it a class`);
        labels.push(cell);
        return;
      }
      const v = decimal(cell);
      if (NOT_FINITE.test(cell)) throw new Error(`${where}: '${cell}' is not a finite number`);
      if (MISSING.has(cell)) throw new Error(`${where}: '${cell}' marks a missing value (pandas reads it as NaN); fill it or drop the row`);
      if (Number.isNaN(v)) throw new Error(`${where}: '${cell}' is not a number`);
      // A float64 beyond float32's range would become ±Infinity on the GPU and NaN in the model.
      if (Math.abs(v) > FLOAT32_MAX && !Number.isFinite(Math.fround(v))) throw new Error(`${where}: '${cell}' is outside float32's range (±3.4e38); rescale the column`);
      values.push(v);
    });
  });
  if (labels.length === 0) throw new Error(`${source}: no data rows after the header`);

  const numeric = labels.every(isNumber);
  const names = numeric ? labels.map(numericClass) : labels;
  const distinct = [...new Set(names)];
  const classes = numeric ? distinct.sort(compareNumeric) : distinct.sort();
  if (classes.length < 2) throw new Error(`${source}: label column '${label}' has a single class ('${classes[0]}'); a classifier needs at least two`);
  const index = new Map(classes.map((c, i) => [c, i]));
  return { features, label, classes, x: Float32Array.from(values), y: Uint32Array.from(names, (l) => index.get(l)!), rows: labels.length, source };
}

/**
 * Whether the label column looks like a measurement rather than classes: numeric, with many
 * distinct values (more than 20 and more than a fifth of the rows) or fractional values.
 */
export function labelsLookContinuous(data: Dataset): boolean {
  if (!data.classes.every(isNumber)) return false;
  const fractional = data.classes.some((c) => !Number.isInteger(Number(c)));
  return fractional || (data.classes.length > 20 && data.classes.length > data.rows / 5);
}

/** The rows at `indices`, as a new dataset. */
export function subset<D extends Rows>(data: D, indices: readonly number[]): D {
  const F = data.x.length / data.rows; // a row's values: features.length, or an image's C·H·W
  const x = new Float32Array(indices.length * F);
  indices.forEach((r, i) => x.set(data.x.subarray(r * F, (r + 1) * F), i * F));
  return { ...data, x, y: Uint32Array.from(indices, (r) => data.y[r]!), rows: indices.length };
}

export interface Split {
  train: Dataset;
  test: Dataset;
  trainRows: number[];
  testRows: number[];
}

/**
 * A stratified, seeded split (train_test_split(..., stratify=y)): each class keeps its proportion,
 * round(trainSize · count) of its rows going to training.
 */
export function trainTestSplit(data: Dataset, options: { trainSize?: number; seed?: number } = {}): Split {
  const { trainSize = 0.8, seed = 0 } = options;
  if (!(trainSize > 0 && trainSize < 1)) throw new Error(`trainTestSplit: argument 'trainSize' expected a number in (0, 1), got ${trainSize}`);
  const random = mulberry32(seed);
  const trainRows: number[] = [];
  const testRows: number[] = [];
  // Each class's rows in order, in one pass (a filter per class is classes × rows: minutes for a
  // label column of 20,000 values).
  const byClass = data.classes.map((): number[] => []);
  data.y.forEach((k, r) => byClass[k]!.push(r));
  data.classes.forEach((name, k) => {
    const rows = shuffle(byClass[k]!, random);
    const cut = Math.round(trainSize * rows.length);
    if (cut === 0 || cut === rows.length) {
      let least = 2;
      while (Math.round(trainSize * least) === 0 || Math.round(trainSize * least) === least) least++;
      throw new Error(`${data.source ?? 'trainTestSplit'}: class '${name}' of label column '${data.label}' has ${rows.length} row(s), too few to appear in both the training and the test split (each class needs at least ${least})`);
    }
    trainRows.push(...rows.slice(0, cut));
    testRows.push(...rows.slice(cut));
  });
  shuffle(trainRows, random);
  shuffle(testRows, random);
  return { train: subset(data, trainRows), test: subset(data, testRows), trainRows, testRows };
}

/** sklearn's StandardScaler: z = (x − mean) / scale, scale the population std (1 where it is 0). */
export class StandardScaler {
  constructor(
    readonly mean: number[],
    readonly scale: number[],
  ) {}

  static fit(data: Dataset): StandardScaler {
    const F = data.features.length;
    const mean = new Array<number>(F).fill(0);
    const sq = new Array<number>(F).fill(0);
    for (let r = 0; r < data.rows; r++) for (let f = 0; f < F; f++) mean[f] = mean[f]! + data.x[r * F + f]! / data.rows;
    for (let r = 0; r < data.rows; r++) for (let f = 0; f < F; f++) sq[f] = sq[f]! + (data.x[r * F + f]! - mean[f]!) ** 2;
    // sklearn's test for a constant column: a variance within the rounding error of this two-pass
    // computation (Chan, Golub & LeVeque) is 0, and the column's scale is 1. A constant 5 in 1,000
    // rows has a mean off by 1e-14, which alone would give it scale 1e-13 and values ±1.
    const n = data.rows;
    const scale = sq.map((s, f) => {
      const variance = s / n;
      const roundingError = n * Number.EPSILON * variance + (n * mean[f]! * Number.EPSILON) ** 2;
      return variance <= roundingError ? 1 : Math.sqrt(variance);
    });
    return new StandardScaler(mean, scale);
  }

  transform(data: Dataset): Dataset {
    const F = data.features.length;
    if (F !== this.mean.length) throw new Error(`StandardScaler: fitted on ${this.mean.length} features, the data has ${F}`);
    return { ...data, x: data.x.map((v, i) => (v - this.mean[i % F]!) / this.scale[i % F]!) };
  }
}

/** The typed arrays a DataLoader batches: float rows (features, pixels) or integer ones (token ids, targets). */
export type NumberArray = Float32Array | Int32Array | Uint32Array;

/** One batch: `size` rows of x and their labels, each of the arrays' own type (Float32Array and Uint32Array for a Dataset). */
export interface Batch<X extends NumberArray = Float32Array, Y extends NumberArray = Uint32Array> {
  x: X;
  y: Y;
  size: number;
}

/**
 * What a DataLoader batches: a Dataset, or rows of any width (images: x of rows × C·H·W) with a
 * whole number of labels each (a class per row; a sequence's targets), integer rows too (token ids).
 */
export type Rows<X extends NumberArray = Float32Array, Y extends NumberArray = Uint32Array> = { x: X; y: Y; rows: number } & Partial<Omit<Dataset, 'x' | 'y' | 'rows'>>;

const isNumberArray = (v: unknown): v is NumberArray => v instanceof Float32Array || v instanceof Int32Array || v instanceof Uint32Array;

/**
 * Batches of a dataset; with shuffle, a new seeded order each epoch. The last partial batch is kept
 * (dropLast, PyTorch's drop_last, leaves it out). `for (const batch of loader)` goes through one
 * epoch, the next loop the next (PyTorch's reshuffle).
 */
export class DataLoader<X extends NumberArray = Float32Array, Y extends NumberArray = Uint32Array> {
  readonly options: { batchSize: number; shuffle?: boolean; seed?: number; dropLast?: boolean };
  /** Values per row: x.length / rows. */
  readonly rowWidth: number;
  /** Labels per row: y.length / rows (1: a class per row). */
  readonly labelWidth: number;
  private epochsIterated = 0;

  constructor(
    readonly data: Rows<X, Y>,
    options: { batchSize: number; shuffle?: boolean; seed?: number; dropLast?: boolean } | { batch_size: number; shuffle?: boolean; seed?: number; drop_last?: boolean },
  ) {
    const given = data as Partial<Rows<X, Y>> | null;
    if (given === null || typeof given !== 'object' || !isNumberArray(given.x) || !isNumberArray(given.y) || !Number.isInteger(given.rows) || given.rows! < 1) {
      throw new Error(`DataLoader: argument 'data' expected { x: Float32Array (rows × row values; Int32Array or Uint32Array for integer rows), y: Uint32Array (a class per row, or a whole number of labels per row; or Int32Array, Float32Array), rows } (a Dataset, as parseCsv gives), got ${given === null || typeof given !== 'object' ? show(given) : `{ ${Object.entries(given).map(([k, v]) => `${k}: ${ArrayBuffer.isView(v) ? v.constructor.name : Array.isArray(v) ? 'an array' : typeof v}`).join(', ')} }`}${given && Array.isArray(given.x) ? ' (Float32Array.from(x) makes one of an array)' : ''}`);
    }
    const rows = given.rows!;
    if (given.x!.length % rows !== 0 || given.x!.length === 0) throw new Error(`DataLoader: x holds ${given.x!.length} values, not a whole number of values for each of the ${rows} rows`);
    if (given.y!.length % rows !== 0 || given.y!.length === 0) throw new Error(`DataLoader: y holds ${given.y!.length} labels, not a whole number of labels for each of the ${rows} rows`);
    this.rowWidth = given.x!.length / rows;
    this.labelWidth = given.y!.length / rows;
    if (given.features && given.features.length !== this.rowWidth) throw new Error(`DataLoader: ${given.features.length} feature names for rows of ${this.rowWidth} values`);
    // A Dataset (parseCsv's, named features) has a class per row: more is a mistake there, not a sequence.
    if (given.features && this.labelWidth !== 1) throw new Error(`DataLoader: y holds ${given.y!.length} labels for a Dataset of ${rows} rows (one class each)`);
    // PyTorch's other options (num_workers, sampler, …) are unknown here, so refused.
    this.options = normalizeOptions('DataLoader', options, ['batchSize', 'shuffle', 'seed', 'dropLast'], { batch_size: 'batchSize', drop_last: 'dropLast' }) as DataLoader['options'];
    const { batchSize: b, seed } = this.options;
    if (!Number.isInteger(b) || b < 1) throw new Error(`DataLoader: argument 'batchSize' expected a positive integer, got ${b}`);
    expectFlag('DataLoader', 'shuffle', this.options.shuffle);
    expectFlag('DataLoader', 'dropLast', this.options.dropLast);
    if (seed !== undefined && !Number.isInteger(seed)) throw new Error(`DataLoader: option 'seed' expected an integer, got ${show(seed)}`);
  }

  get length(): number {
    return (this.options.dropLast ? Math.floor : Math.ceil)(this.data.rows / this.options.batchSize);
  }

  /** The row order of an epoch. */
  order(epoch: number): number[] {
    const rows = [...Array(this.data.rows).keys()];
    return this.options.shuffle ? shuffle(rows, mulberry32(((this.options.seed ?? 0) * 1000003 + epoch) >>> 0)) : rows;
  }

  [Symbol.iterator](): Generator<Batch<X, Y>> {
    return this.batches(this.epochsIterated++);
  }

  *batches(epoch = 0): Generator<Batch<X, Y>> {
    const order = this.order(epoch);
    const { batchSize, dropLast } = this.options;
    const take = <A extends NumberArray>(from: A, width: number, rows: number[]): A => {
      const out = new (from.constructor as new (n: number) => A)(rows.length * width);
      rows.forEach((r, i) => out.set(from.subarray(r * width, (r + 1) * width), i * width));
      return out;
    };
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      if (dropLast && rows.length < batchSize) break;
      yield { x: take(this.data.x, this.rowWidth, rows), y: take(this.data.y, this.labelWidth, rows), size: rows.length };
    }
  }
}
