import { readConfig, type JsonObject } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/** Config of a hard sigmoid with another line than the default (see {@link hardSigmoidWith}). */
export interface HardSigmoidConfig {
  /** Slope of the linear part; a finite number > 0. Default 1/6 (Keras 3, PyTorch). */
  readonly slope?: number;
  /** Value at x = 0; a finite number. Default 0.5. */
  readonly offset?: number;
}

const DEFAULT_SLOPE = 1 / 6;
const DEFAULT_OFFSET = 0.5;

/**
 * Hard sigmoid, f(x) = relu6(x + 3)/6: 0 for x ≤ −3, 1 for x ≥ 3, (x + 3)/6 between;
 * f'(x) = 1/6 for −3 < x < 3, else 0 (0 at the kinks ±3, as in PyTorch).
 *
 * This is the Keras 3 / PyTorch (`nn.Hardsigmoid`) definition; Keras 2 and TensorFlow.js use
 * 0.2x + 0.5, which is `{ name: "hardSigmoid", config: { slope: 0.2, offset: 0.5 } }` (see
 * {@link hardSigmoidWith}).
 *
 * @see Howard et al., "Searching for MobileNetV3", 2019
 * @example
 * ```ts
 * hardSigmoid.f(0); // 0.5
 * hardSigmoid.f(5); // 1
 * ```
 */
export const hardSigmoid: Activation = /* @__PURE__ */ makeActivation({
  name: "hardSigmoid",
  config: EMPTY_CONFIG,
  exactScalar: true,
  f: (x) => (x <= -3 ? 0 : x >= 3 ? 1 : (x + 3) / 6),
  df: (x) => (x > -3 && x < 3 ? 1 / 6 : 0),
  apply(src, dst) {
    for (let i = 0; i < src.length; i++) {
      const x = src[i] as number;
      dst[i] = x <= -3 ? 0 : x >= 3 ? 1 : (x + 3) / 6;
    }
  },
  backward(x, _y, grad, dst) {
    for (let i = 0; i < x.length; i++) {
      const v = x[i] as number;
      dst[i] = (grad[i] as number) * (v > -3 && v < 3 ? 1 / 6 : 0);
    }
  },
});

/**
 * A hard sigmoid on another line: f(x) = clip(slope·x + offset, 0, 1); f'(x) = slope where
 * 0 < slope·x + offset < 1, else 0 (0 at the kinks, as the default). The registry's factory of
 * `"hardSigmoid"`: `getActivation("hardSigmoid", { slope: 0.2, offset: 0.5 })` is Keras 2's and
 * TensorFlow.js' `hard_sigmoid`.
 *
 * With no config, or the defaults (slope 1/6, offset 0.5), it returns {@link hardSigmoid} itself,
 * whose config is `{}` and whose arithmetic, (x + 3)/6, is today's bit for bit (1/6·x + 0.5
 * rounds differently).
 *
 * @param config - `{ slope, offset }`, default `{ slope: 1/6, offset: 0.5 }`
 * @throws BackpropError `INVALID_CONFIG` for a slope that is not a finite number > 0, an offset
 *   that is not finite, or an unknown key
 * @example
 * ```ts
 * const keras2 = hardSigmoidWith({ slope: 0.2, offset: 0.5 });
 * keras2.f(1);   // 0.7
 * keras2.f(-3);  // 0 (0.2·−3 + 0.5 < 0)
 * ```
 */
export function hardSigmoidWith(config: HardSigmoidConfig | JsonObject = {}): Activation {
  const { slope, offset } = readConfig("hardSigmoid", config as HardSigmoidConfig, {
    slope: { type: "number", default: DEFAULT_SLOPE, min: 0, minExclusive: true },
    offset: { type: "number", default: DEFAULT_OFFSET },
  });
  if (slope === DEFAULT_SLOPE && offset === DEFAULT_OFFSET) return hardSigmoid;
  return makeActivation({
    name: "hardSigmoid",
    config: Object.freeze({ slope, offset }),
    exactScalar: true,
    f: (x) => {
      const z = slope * x + offset;
      return z <= 0 ? 0 : z >= 1 ? 1 : z;
    },
    df: (x) => {
      const z = slope * x + offset;
      return z > 0 && z < 1 ? slope : 0;
    },
    apply(src, dst) {
      for (let i = 0; i < src.length; i++) {
        const z = slope * (src[i] as number) + offset;
        dst[i] = z <= 0 ? 0 : z >= 1 ? 1 : z;
      }
    },
    backward(x, _y, grad, dst) {
      for (let i = 0; i < x.length; i++) {
        const z = slope * (x[i] as number) + offset;
        dst[i] = (grad[i] as number) * (z > 0 && z < 1 ? slope : 0);
      }
    },
  });
}
