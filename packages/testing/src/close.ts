import type { Matrix } from "@backprop/linalg";

/**
 * Throws an error naming the first element that differs by more than `tol` (absolute).
 * Used by golden tests where a bare boolean would hide which number is wrong.
 */
export function expectClose(
  actual: ArrayLike<number> | readonly (readonly number[])[] | Matrix | number,
  expected: ArrayLike<number> | readonly (readonly number[])[] | number,
  tol: number,
  label = "value",
): void {
  const a = toFlat(actual);
  const e = toFlat(expected);
  if (a.length !== e.length) {
    throw new Error(`${label}: length ${a.length} differs from expected ${e.length}`);
  }
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = e[i] as number;
    if (!(Math.abs(x - y) <= tol)) {
      throw new Error(`${label}[${i}]: got ${x}, expected ${y} (|diff| ${Math.abs(x - y)} > ${tol})`);
    }
  }
}

function toFlat(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (typeof v === "object" && v !== null && "data" in v && "rows" in v) {
    return Array.from((v as Matrix).data);
  }
  if (Array.isArray(v)) return (v as unknown[]).flatMap((x) => (Array.isArray(x) ? (x as number[]) : [x as number]));
  return Array.from(v as ArrayLike<number>);
}
