import { readConfig } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { makeActivation } from "./make-activation.js";

/** Config of {@link leakyRelu}. */
export interface LeakyReluConfig {
  /** Slope for x ≤ 0. Any finite number. Default 0.01 (PyTorch's `negative_slope`). */
  readonly alpha?: number;
}

const DEFAULT_ALPHA = 0.01;

/**
 * Leaky ReLU, f(x) = x for x > 0, else αx; f'(x) = 1 for x > 0, else α (so f'(0) = α).
 *
 * The default α = 0.01 follows PyTorch (`nn.LeakyReLU`); Keras' `LeakyReLU` layer uses 0.3 and
 * `tf.nn.leaky_relu` 0.2, so pass `{ alpha }` explicitly when porting a model from those.
 *
 * @param config - `{ alpha }`, default `{ alpha: 0.01 }`
 * @throws BackpropError `INVALID_CONFIG` when alpha is not a finite number or a key is unknown
 * @see Maas, Hannun & Ng, "Rectifier Nonlinearities Improve Neural Network Acoustic Models", 2013
 * @example
 * ```ts
 * leakyRelu().f(-2);                 // -0.02
 * leakyRelu({ alpha: 0.2 }).f(-2);   // -0.4
 * ```
 */
export function leakyRelu(config: LeakyReluConfig = {}): Activation {
  const { alpha } = readConfig("leakyRelu", config, { alpha: { type: "number", default: DEFAULT_ALPHA } });
  return makeActivation({
    name: "leakyRelu",
    config: Object.freeze({ alpha }),
    exactScalar: true,
    f: (x) => (x > 0 ? x : alpha * x),
    df: (x) => (x > 0 ? 1 : alpha),
    apply(src, dst) {
      for (let i = 0; i < src.length; i++) {
        const x = src[i] as number;
        dst[i] = x > 0 ? x : alpha * x;
      }
    },
    backward(x, _y, grad, dst) {
      for (let i = 0; i < x.length; i++) {
        dst[i] = (grad[i] as number) * ((x[i] as number) > 0 ? 1 : alpha);
      }
    },
  });
}
