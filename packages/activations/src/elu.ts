import { readConfig } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { makeActivation } from "./make-activation.js";

/** Config of {@link elu}. */
export interface EluConfig {
  /** Scale of the negative part, which saturates at −α. Any finite number. Default 1. */
  readonly alpha?: number;
}

const DEFAULT_ALPHA = 1;

/**
 * Exponential linear unit, f(x) = x for x > 0, else α(eˣ − 1); f'(x) = 1 for x > 0, else αeˣ
 * (so f'(0) = α, as in PyTorch).
 *
 * The negative branch uses `expm1`, which keeps full precision for x near 0.
 *
 * @param config - `{ alpha }`, default `{ alpha: 1 }`
 * @throws BackpropError `INVALID_CONFIG` when alpha is not a finite number or a key is unknown
 * @see Clevert, Unterthiner & Hochreiter, "Fast and Accurate Deep Network Learning by
 *   Exponential Linear Units (ELUs)", 2015
 * @example
 * ```ts
 * elu().f(-Math.LN2);               // -0.5
 * elu({ alpha: 2 }).f(-Math.LN2);   // -1
 * ```
 */
export function elu(config: EluConfig = {}): Activation {
  const { alpha } = readConfig("elu", config, { alpha: { type: "number", default: DEFAULT_ALPHA } });
  return makeActivation({
    name: "elu",
    config: Object.freeze({ alpha }),
    exactScalar: true,
    f: (x) => (x > 0 ? x : alpha * Math.expm1(x)),
    // NOTE: αeˣ rather than y + α: the latter cancels to noise for very negative x.
    df: (x) => (x > 0 ? 1 : alpha * Math.exp(x)),
    apply(src, dst) {
      for (let i = 0; i < src.length; i++) {
        const x = src[i] as number;
        dst[i] = x > 0 ? x : alpha * Math.expm1(x);
      }
    },
    backward(x, _y, grad, dst) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i] as number;
        dst[i] = (grad[i] as number) * (v > 0 ? 1 : alpha * Math.exp(v));
      }
    },
  });
}
