/**
 * A plain array of `length` zeros that V8 stores as unboxed doubles (its PACKED_DOUBLE_ELEMENTS
 * kind), for hot loops over small scratch buffers. Reads from it need a bounds check only, where a
 * typed array's also re-check for a detached buffer once any ArrayBuffer in the process has been
 * detached. It is filled by push starting from a non-integer because `new Array(n)` starts holey,
 * and V8 never turns a holey array packed again (every read of a holey array checks for holes).
 * Keep it packed: store only numbers, and never write past the end or delete an element.
 *
 * @example
 * ```ts
 * const scratch = packedDoubles(12); // [0, 0, …, 0], unboxed
 * scratch[3] = 0.5;
 * ```
 */
export function packedDoubles(length: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < length; i++) out.push(0.5);
  out.fill(0);
  return out;
}
