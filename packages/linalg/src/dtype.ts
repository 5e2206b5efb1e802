/** The element types a {@link Matrix} can hold. Both are first-class. */
export type DType = "float32" | "float64";

/** The typed array behind a matrix of either dtype. */
export type FloatArray = Float32Array | Float64Array;

/** Allocates a zero-filled typed array of the given dtype. */
export function allocate(dtype: DType, length: number): FloatArray {
  return dtype === "float32" ? new Float32Array(length) : new Float64Array(length);
}

/** The dtype of a typed array. */
export function dtypeOf(data: FloatArray): DType {
  return data instanceof Float32Array ? "float32" : "float64";
}

/** True when `value` names a supported dtype (`"float32"` or `"float64"`). */
export function isDType(value: unknown): value is DType {
  return value === "float32" || value === "float64";
}
