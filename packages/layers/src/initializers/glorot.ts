import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";
import { scaledInitializer } from "./variance-scaling.js";

/**
 * Glorot (Xavier) uniform: uniform on `[−limit, limit)` with `limit = sqrt(6/(fanIn + fanOut))`,
 * so the variance is `2/(fanIn + fanOut)` — keeps activation and gradient variance steady for
 * tanh/sigmoid layers. Same as `varianceScaling({ scale: 1, mode: "fanAvg", distribution: "uniform" })`.
 * The default Dense kernel initializer (as Keras). Registry name `"glorotUniform"`, no options.
 *
 * @see http://proceedings.mlr.press/v9/glorot10a.html
 * @example
 * ```ts
 * glorotUniform().init(Matrix.zeros(2, 3), new Rng(0), { fanIn: 2, fanOut: 3 }); // |w| < sqrt(6/5)
 * ```
 */
export function glorotUniform(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("glorotUniform", options, []);
  return scaledInitializer("glorotUniform", {}, 1, "fanAvg", "uniform");
}

/**
 * Glorot (Xavier) normal: truncated normal (at 2σ) with
 * `σ = sqrt(2/(fanIn + fanOut)) / 0.87962566103423978`, so the variance after truncation is
 * `2/(fanIn + fanOut)` (as Keras). Same as
 * `varianceScaling({ scale: 1, mode: "fanAvg", distribution: "truncatedNormal" })`.
 * Registry name `"glorotNormal"`, no options.
 *
 * @see http://proceedings.mlr.press/v9/glorot10a.html
 * @example
 * ```ts
 * glorotNormal().init(Matrix.zeros(2, 3), new Rng(0), { fanIn: 2, fanOut: 3 });
 * ```
 */
export function glorotNormal(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("glorotNormal", options, []);
  return scaledInitializer("glorotNormal", {}, 1, "fanAvg", "truncatedNormal");
}
