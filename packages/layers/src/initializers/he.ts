import { checkConfigKeys, type EmptyOptions } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";
import { scaledInitializer } from "./variance-scaling.js";

/**
 * He uniform: uniform on `[−limit, limit)` with `limit = sqrt(6/fanIn)` (variance `2/fanIn`),
 * suited to ReLU layers, which zero half their inputs. Same as
 * `varianceScaling({ scale: 2, mode: "fanIn", distribution: "uniform" })`.
 * Registry name `"heUniform"`, no options.
 *
 * @see https://arxiv.org/abs/1502.01852
 * @example
 * ```ts
 * heUniform().init(Matrix.zeros(4, 3), new Rng(0), { fanIn: 4, fanOut: 3 }); // |w| < sqrt(6/4)
 * ```
 */
export function heUniform(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("heUniform", options, []);
  return scaledInitializer("heUniform", {}, 2, "fanIn", "uniform");
}

/**
 * He normal: truncated normal (at 2σ) with `σ = sqrt(2/fanIn) / 0.87962566103423978`
 * (variance `2/fanIn` after truncation, as Keras). Same as
 * `varianceScaling({ scale: 2, mode: "fanIn", distribution: "truncatedNormal" })`.
 * Registry name `"heNormal"`, no options.
 *
 * @see https://arxiv.org/abs/1502.01852
 * @example
 * ```ts
 * heNormal().init(Matrix.zeros(4, 3), new Rng(0), { fanIn: 4, fanOut: 3 });
 * ```
 */
export function heNormal(options: EmptyOptions = {}): Initializer {
  checkConfigKeys("heNormal", options, []);
  return scaledInitializer("heNormal", {}, 2, "fanIn", "truncatedNormal");
}
