import { BackpropError, ShapeMismatchError, type FloatArray } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { EMPTY_CONFIG } from "./make-activation.js";

function checkWidth(where: string, length: number, width: number | undefined): number {
  const w = width ?? length;
  if (!Number.isSafeInteger(w) || w <= 0 || length % w !== 0) {
    throw new ShapeMismatchError(`softmax.${where}: ${length} elements do not split into vectors of ${String(width)} (expected a positive divisor)`);
  }
  return w;
}

function scalarForm(): never {
  throw new BackpropError("INVALID_STATE", "softmax: a vector activation has no scalar form f(x)", {
    hint: "use softmax.apply(src, dst, width), which normalises each run of width elements",
  });
}

/**
 * The softmax, `yⱼ = e^(zⱼ) / Σₖ e^(zₖ)` over the last axis: a probability distribution per
 * sample. A vector activation (`vector: true`): each output depends on the whole row, so it has no
 * scalar `f`; `apply` and `backward` work on runs of `width` elements.
 *
 * Numerically stable (the row maximum is subtracted first). Its backward pass is the
 * Jacobian-vector product `dzⱼ = yⱼ(dyⱼ − Σₖ dyₖ·yₖ)`. After a softmax, the cross-entropy losses
 * supply `dLoss/dz = (p − t)/n` directly (the fused gradient): faster, and finite when a
 * probability saturates.
 *
 * @example
 * ```ts
 * const z = Float64Array.of(1, 2, 3, 0, 0, 0);
 * const p = new Float64Array(6);
 * softmax.apply(z, p, 3); // two rows of three: [0.090, 0.245, 0.665, 1/3, 1/3, 1/3]
 * ```
 */
export const softmax: Activation = /* @__PURE__ */ Object.freeze({
  name: "softmax",
  config: EMPTY_CONFIG,
  vector: true,
  f: scalarForm,
  df: scalarForm,
  apply(src: FloatArray, dst: FloatArray, width?: number): void {
    if (dst.length !== src.length) {
      throw new ShapeMismatchError(`softmax.apply: lengths differ (got src ${src.length}, dst ${dst.length}, expected equal lengths)`);
    }
    const cols = checkWidth("apply", src.length, width);
    for (let base = 0; base < src.length; base += cols) {
      let m = -Infinity;
      for (let j = 0; j < cols; j++) {
        const v = src[base + j] as number;
        if (v > m) m = v;
      }
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const e = Math.exp((src[base + j] as number) - m);
        dst[base + j] = e;
        s += e;
      }
      for (let j = 0; j < cols; j++) dst[base + j] = (dst[base + j] as number) / s;
    }
  },
  backward(x: FloatArray, y: FloatArray, grad: FloatArray, dst: FloatArray, width?: number): void {
    const n = y.length;
    if (x.length !== n || grad.length !== n || dst.length !== n) {
      throw new ShapeMismatchError(
        `softmax.backward: lengths differ (got x ${x.length}, y ${n}, grad ${grad.length}, dst ${dst.length}, expected equal lengths)`,
      );
    }
    const cols = checkWidth("backward", n, width);
    for (let base = 0; base < n; base += cols) {
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += (grad[base + j] as number) * (y[base + j] as number);
      for (let j = 0; j < cols; j++) dst[base + j] = (y[base + j] as number) * ((grad[base + j] as number) - dot);
    }
  },
});
