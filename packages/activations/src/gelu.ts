import { readConfig } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { normalCdf } from "./erf.js";
import { logistic } from "./logistic.js";
import { makeActivation } from "./make-activation.js";

/** Config of {@link gelu}. */
export interface GeluConfig {
  /**
   * Use the tanh approximation `x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))` instead of the exact
   * erf form. Default false (Keras 3 and PyTorch default to the exact form too).
   */
  readonly approximate?: boolean;
}

/** 1/√(2π), the peak of the standard normal density. */
const INV_SQRT_2PI = 0.3989422804014327;
/** √(2/π). */
const SQRT_2_OVER_PI = 0.7978845608028654;
const CUBIC = 0.044715;

// NOTE: the exact form is x·Φ(x) with Φ(x) = erfc(−x/√2)/2 rather than (1 + erf(x/√2))/2, which
// would cancel to 0 for x ≲ −6 and lose the (tiny but nonzero) values there.
function exactF(x: number): number {
  return x * normalCdf(x);
}

function exactDf(x: number): number {
  return normalCdf(x) + x * (INV_SQRT_2PI * Math.exp(-0.5 * x * x));
}

// NOTE: 1 + tanh(u) = 2σ(2u), and σ is computed without overflow, so the approximate form is
// x·σ(2u): no cancellation for very negative x and no NaN at ±1e308.
function approxF(x: number): number {
  return x * logistic(2 * SQRT_2_OVER_PI * (x + CUBIC * x * x * x));
}

function approxDf(x: number): number {
  const s = logistic(2 * SQRT_2_OVER_PI * (x + CUBIC * x * x * x));
  const d = s * (1 - s);
  // NOTE: when σ saturates d is exactly 0 while x·du/dx may be infinite (|x| ≳ 1e102); skip the
  // second term there instead of producing 0·∞ = NaN.
  return d === 0 ? s : s + 2 * x * d * (SQRT_2_OVER_PI * (1 + 3 * CUBIC * x * x));
}

/**
 * Gaussian error linear unit, f(x) = x·Φ(x), with Φ the standard normal CDF;
 * f'(x) = Φ(x) + x·φ(x), with φ the standard normal density.
 *
 * By default Φ is evaluated exactly (to ~1e-16, from W. J. Cody's rational approximations of
 * erfc). `{ approximate: true }` selects the tanh form used by BERT/GPT-2 (PyTorch's
 * `approximate="tanh"`), f(x) = x/2·(1 + tanh(√(2/π)(x + 0.044715x³))).
 *
 * @param config - `{ approximate }`, default `{ approximate: false }`
 * @throws BackpropError `INVALID_CONFIG` when approximate is not a boolean or a key is unknown
 * @see Hendrycks & Gimpel, "Gaussian Error Linear Units (GELUs)", 2016
 * @example
 * ```ts
 * gelu().f(1);                       // 0.8413447460685429  (= Φ(1))
 * gelu({ approximate: true }).f(1);  // 0.8411919906082768
 * ```
 */
export function gelu(config: GeluConfig = {}): Activation {
  const { approximate } = readConfig("gelu", config, { approximate: { type: "boolean", default: false } });
  const common = { name: "gelu", config: Object.freeze({ approximate }), exactScalar: true } as const;
  if (approximate) {
    return makeActivation({
      ...common,
      f: approxF,
      df: approxDf,
      apply(src, dst) {
        for (let i = 0; i < src.length; i++) {
          const x = src[i] as number;
          dst[i] = x * logistic(2 * SQRT_2_OVER_PI * (x + CUBIC * x * x * x));
        }
      },
      backward(x, _y, grad, dst) {
        for (let i = 0; i < x.length; i++) {
          const v = x[i] as number;
          const s = logistic(2 * SQRT_2_OVER_PI * (v + CUBIC * v * v * v));
          const d = s * (1 - s);
          dst[i] = (grad[i] as number) * (d === 0 ? s : s + 2 * v * d * (SQRT_2_OVER_PI * (1 + 3 * CUBIC * v * v)));
        }
      },
    });
  }
  return makeActivation({
    ...common,
    f: exactF,
    df: exactDf,
    apply(src, dst) {
      for (let i = 0; i < src.length; i++) {
        const x = src[i] as number;
        dst[i] = x * normalCdf(x);
      }
    },
    backward(x, _y, grad, dst) {
      for (let i = 0; i < x.length; i++) {
        const v = x[i] as number;
        dst[i] = (grad[i] as number) * (normalCdf(v) + v * (INV_SQRT_2PI * Math.exp(-0.5 * v * v)));
      }
    },
  });
}
