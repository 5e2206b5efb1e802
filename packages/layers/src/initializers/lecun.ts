import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";
import { scaledInitializer } from "./variance-scaling.js";

/**
 * LeCun uniform: uniform on `[−limit, limit)` with `limit = sqrt(3/fanIn)` (variance `1/fanIn`).
 * Same as `varianceScaling({ scale: 1, mode: "fanIn", distribution: "uniform" })`.
 * Registry name `"lecunUniform"`, no options.
 *
 * @see http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf
 * @example
 * ```ts
 * lecunUniform().init(Matrix.zeros(3, 2), new Rng(0), { fanIn: 3, fanOut: 2 }); // |w| < 1
 * ```
 */
export function lecunUniform(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("lecunUniform", options, []);
  return scaledInitializer("lecunUniform", {}, 1, "fanIn", "uniform");
}

/**
 * LeCun normal: truncated normal (at 2σ) with `σ = sqrt(1/fanIn) / 0.87962566103423978`
 * (variance `1/fanIn` after truncation, as Keras); the initializer SELU networks expect. Same as
 * `varianceScaling({ scale: 1, mode: "fanIn", distribution: "truncatedNormal" })`.
 * Registry name `"lecunNormal"`, no options.
 *
 * @see http://yann.lecun.com/exdb/publis/pdf/lecun-98b.pdf
 * @example
 * ```ts
 * lecunNormal().init(Matrix.zeros(3, 2), new Rng(0), { fanIn: 3, fanOut: 2 });
 * ```
 */
export function lecunNormal(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("lecunNormal", options, []);
  return scaledInitializer("lecunNormal", {}, 1, "fanIn", "truncatedNormal");
}
