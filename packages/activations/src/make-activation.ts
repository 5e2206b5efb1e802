import { ShapeMismatchError, type FloatArray, type JsonObject } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { markExactScalar } from "./exact-scalar.js";

/** The pieces of an activation before the length checks are wrapped around its loops. */
export interface ActivationParts {
  readonly name: string;
  readonly config: Readonly<JsonObject>;
  readonly f: (x: number) => number;
  readonly df: (x: number, y: number) => number;
  readonly apply: (src: FloatArray, dst: FloatArray) => void;
  readonly backward: (x: FloatArray, y: FloatArray, grad: FloatArray, dst: FloatArray) => void;
  /**
   * Set only when `apply` computes exactly `dst[i] = f(src[i])` and `backward` exactly
   * `dst[i] = grad[i] * df(x[i], y[i])`: the same float64 expression in the same order, rounded
   * once by the store. {@link hasExactScalarForm} reports it. Default false.
   */
  readonly exactScalar?: boolean;
}

/** The config of every activation without hyperparameters; shared so it is allocated once. */
export const EMPTY_CONFIG: Readonly<JsonObject> = /* @__PURE__ */ Object.freeze({});

/**
 * Freezes an activation and checks lengths once per call around its loops (not inside them):
 * a shorter typed array would otherwise drop writes silently.
 */
export function makeActivation(parts: ActivationParts): Activation {
  const { name, config, f, df } = parts;
  const applyLoop = parts.apply;
  const backwardLoop = parts.backward;
  const activation: Activation = Object.freeze({
    name,
    config,
    f,
    df,
    apply(src: FloatArray, dst: FloatArray): void {
      if (dst.length !== src.length) {
        throw new ShapeMismatchError(
          `${name}.apply: lengths differ (got src ${src.length}, dst ${dst.length}, expected equal lengths)`,
        );
      }
      applyLoop(src, dst);
    },
    backward(x: FloatArray, y: FloatArray, grad: FloatArray, dst: FloatArray): void {
      const n = x.length;
      if (y.length !== n || grad.length !== n || dst.length !== n) {
        throw new ShapeMismatchError(
          `${name}.backward: lengths differ (got x ${n}, y ${y.length}, grad ${grad.length}, dst ${dst.length}, expected equal lengths)`,
        );
      }
      backwardLoop(x, y, grad, dst);
    },
  });
  if (parts.exactScalar === true) markExactScalar(activation);
  return activation;
}
