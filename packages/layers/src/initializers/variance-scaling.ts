import { BackpropError, type Tensor, type Rng } from "@backprop/linalg";
import { checkConfigKeys, readChoice, readNumber } from "../losses/read-config.js";
import type { Initializer } from "./initializer.js";
import { fillTruncatedNormal } from "./truncated-normal.js";

/** Which fan divides the scale: inputs, outputs, or their average. */
export type FanMode = "fanIn" | "fanOut" | "fanAvg";

/** The distribution {@link varianceScaling} draws from. */
export type VarianceScalingDistribution = "truncatedNormal" | "untruncatedNormal" | "uniform";

/** Options of {@link varianceScaling}. */
export interface VarianceScalingOptions {
  /** Target variance multiplier; finite and > 0. Default 1. */
  readonly scale?: number;
  /** Default `"fanIn"`. */
  readonly mode?: FanMode;
  /** Default `"truncatedNormal"`. */
  readonly distribution?: VarianceScalingDistribution;
}

/**
 * Standard deviation of a unit normal truncated to [−2, 2]; dividing by it makes the truncated
 * draws have the intended variance (the constant Keras uses).
 */
export const TRUNCATED_NORMAL_STDDEV = 0.87962566103423978;

const MODES: readonly FanMode[] = ["fanIn", "fanOut", "fanAvg"];
const DISTRIBUTIONS: readonly VarianceScalingDistribution[] = ["truncatedNormal", "untruncatedNormal", "uniform"];

/**
 * Draws with variance `scale / n`, where n is `max(1, fan)` for the chosen `mode`
 * (`fanAvg`: `(fanIn + fanOut)/2`), as Keras 3:
 *
 * - `"truncatedNormal"`: normal truncated at 2σ with `σ = sqrt(scale/n) / 0.87962566103423978`;
 * - `"untruncatedNormal"`: normal with `σ = sqrt(scale/n)`;
 * - `"uniform"`: uniform on `[−limit, limit)` with `limit = sqrt(3·scale/n)`.
 *
 * Glorot/Xavier, He and LeCun initializers are special cases. Registry name `"varianceScaling"`,
 * config `{ scale, mode, distribution }`.
 *
 * @see https://keras.io/api/layers/initializers/#variancescaling-class
 * @example
 * ```ts
 * const init = varianceScaling({ scale: 2, mode: "fanIn", distribution: "untruncatedNormal" });
 * init.init(Matrix.zeros(256, 128), new Rng(7), { fanIn: 256, fanOut: 128 }); // variance ≈ 2/256
 * ```
 */
export function varianceScaling(options: VarianceScalingOptions = {}): Initializer {
  const c = checkConfigKeys("varianceScaling", options, ["scale", "mode", "distribution"]);
  const scale = readNumber("varianceScaling", c, "scale", 1, { min: 0, minExclusive: true });
  const mode = readChoice("varianceScaling", c, "mode", "fanIn", MODES);
  const distribution = readChoice("varianceScaling", c, "distribution", "truncatedNormal", DISTRIBUTIONS);
  return scaledInitializer("varianceScaling", { scale, mode, distribution }, scale, mode, distribution);
}

/**
 * A variance-scaling initializer reported under its own `name` and `config` (used by the named
 * special cases such as `glorotUniform`, whose config is `{}`).
 */
export function scaledInitializer(
  name: string,
  config: Initializer["config"],
  scale: number,
  mode: FanMode,
  distribution: VarianceScalingDistribution,
): Initializer {
  return {
    name,
    config,
    init<T extends Tensor>(target: T, rng: Rng, fan: { readonly fanIn: number; readonly fanOut: number }): T {
      const fanIn = checkFan(name, "fanIn", fan?.fanIn);
      const fanOut = checkFan(name, "fanOut", fan?.fanOut);
      const n = Math.max(1, mode === "fanIn" ? fanIn : mode === "fanOut" ? fanOut : (fanIn + fanOut) / 2);
      const variance = scale / n;
      if (distribution === "truncatedNormal") {
        return fillTruncatedNormal(target, rng, 0, Math.sqrt(variance) / TRUNCATED_NORMAL_STDDEV);
      }
      if (distribution === "untruncatedNormal") return rng.fillNormal(target, 0, Math.sqrt(variance));
      const limit = Math.sqrt(3 * variance);
      return rng.fillUniform(target, -limit, limit);
    },
  };
}

function checkFan(name: string, key: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${name}.init: invalid ${key} (got ${String(value)}, expected a finite number ≥ 0)`,
      { hint: "pass { fanIn, fanOut }: for a Dense kernel of shape in×out, fanIn = in and fanOut = out" },
    );
  }
  return value;
}
