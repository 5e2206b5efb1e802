import type { Matrix } from "@backprop/linalg";

/** Sample mean, (population) variance, min and max of a matrix's elements, for statistical tests. */
export function moments(m: Matrix): { mean: number; variance: number; min: number; max: number } {
  const d = m.data;
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    s += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = s / d.length;
  let q = 0;
  for (let i = 0; i < d.length; i++) q += ((d[i] as number) - mean) ** 2;
  return { mean, variance: q / d.length, min, max };
}

/** Same bits: two matrices hold identical element bit patterns. */
export function sameBits(a: Matrix, b: Matrix): boolean {
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
