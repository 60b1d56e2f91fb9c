// Prints a tensor's values as rows, the way the course's print(tensor) output reads.
export function formatMatrix(values: ArrayLike<number>, shape: readonly number[], digits = 4): string {
  const cols = shape[shape.length - 1] ?? values.length;
  const rows: string[] = [];
  for (let r = 0; r < values.length / cols; r++) {
    rows.push(`  [${Array.from({ length: cols }, (_, c) => values[r * cols + c]!.toFixed(digits).padStart(digits + 4)).join(', ')}]`);
  }
  return rows.join('\n');
}

export type Print = (line: string) => void;
