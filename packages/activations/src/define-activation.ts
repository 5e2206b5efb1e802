import { BackpropError, type FloatArray, type JsonObject } from "@backprop/linalg";
import type { Activation } from "./activation.js";
import { describeValue, freezeJson, isPlainObject } from "./config.js";
import { EMPTY_CONFIG, makeActivation } from "./make-activation.js";

/** What {@link defineActivation} takes. */
export interface ActivationDefinition {
  /**
   * Registry key: starts with a letter or `_`, then letters, digits and `_ . - > / @ :`.
   * Namespace custom ones to avoid clashes, e.g. `"acme>swish2"`.
   */
  readonly name: string;
  /** f(x). */
  readonly f: (x: number) => number;
  /** f'(x), given x and y = f(x); define it explicitly at kinks. */
  readonly df: (x: number, y: number) => number;
  /** Hyperparameters stored with the name; must be JSON (finite numbers). Default `{}`. */
  readonly config?: JsonObject;
  /** A faster vectorised forward; derived from `f` when omitted. */
  readonly apply?: (src: FloatArray, dst: FloatArray) => void;
  /** A faster vectorised backward; derived from `df` when omitted. */
  readonly backward?: (x: FloatArray, y: FloatArray, grad: FloatArray, dst: FloatArray) => void;
}

const NAME_PATTERN = /^[A-Za-z_][\w.\->/@:]*$/;

/**
 * Creates a custom activation from f and f'. The vectorised `apply`/`backward` are derived from
 * them unless given. To load models that use it, also register it with {@link registerActivation}.
 *
 * @throws BackpropError `INVALID_ARGUMENT` when the name is not a valid key or f/df (or
 *   apply/backward, if given) are not functions; `INVALID_CONFIG` when config is not JSON
 * @example
 * ```ts
 * const bentIdentity = defineActivation({
 *   name: "acme>bentIdentity",
 *   f: (x) => (Math.sqrt(x * x + 1) - 1) / 2 + x,
 *   df: (x) => x / (2 * Math.sqrt(x * x + 1)) + 1,
 * });
 * registerActivation(bentIdentity);
 * ```
 */
export function defineActivation(definition: ActivationDefinition): Activation {
  if (!isPlainObject(definition)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `defineActivation: expected an object (got ${describeValue(definition)}, expected { name, f, df })`,
    );
  }
  const { name, f, df, config, apply, backward } = definition;
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `defineActivation: invalid name (got ${describeValue(name)}, expected a non-empty key like "acme>swish2")`,
      { hint: "names start with a letter or _, then letters, digits and _ . - > / @ :" },
    );
  }
  const where = `defineActivation("${name}")`;
  for (const [key, value, required] of [
    ["f", f, true],
    ["df", df, true],
    ["apply", apply, false],
    ["backward", backward, false],
  ] as const) {
    if (typeof value !== "function" && (required || value !== undefined)) {
      throw new BackpropError(
        "INVALID_ARGUMENT",
        `${where}: ${key} must be a function (got ${describeValue(value)}, expected a function)`,
        key === "df" ? { hint: "df receives (x, y) with y = f(x), e.g. df: (x, y) => y * (1 - y)" } : {},
      );
    }
  }
  let frozenConfig: Readonly<JsonObject> = EMPTY_CONFIG;
  if (config !== undefined) {
    const frozen = isPlainObject(config) ? freezeJson(config) : undefined;
    if (frozen === undefined) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}: config must be a JSON object (got ${describeValue(config)}, expected e.g. { "beta": 1.5 })`,
        { hint: "configs are saved in model files: use strings, booleans, null, finite numbers, arrays and objects" },
      );
    }
    frozenConfig = frozen as JsonObject;
  }
  return makeActivation({
    name,
    config: frozenConfig,
    f,
    df,
    // NOTE: the derived loops below are exactly f(x) and grad · df(x, y); the user's own are not known to be.
    exactScalar: apply === undefined && backward === undefined,
    apply:
      apply ??
      ((src, dst) => {
        for (let i = 0; i < src.length; i++) dst[i] = f(src[i] as number);
      }),
    backward:
      backward ??
      ((x, y, grad, dst) => {
        for (let i = 0; i < x.length; i++) dst[i] = (grad[i] as number) * df(x[i] as number, y[i] as number);
      }),
  });
}
