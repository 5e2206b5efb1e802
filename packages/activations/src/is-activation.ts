import type { Activation } from "./activation.js";

/**
 * True when `value` has the full {@link Activation} shape: a string `name`, an object `config`
 * and the four functions `f`, `df`, `apply`, `backward`.
 *
 * @example
 * ```ts
 * isActivation(relu);           // true
 * isActivation({ name: "relu" }); // false: that is a stored spec, resolve it with resolveActivation
 * ```
 */
export function isActivation(value: unknown): value is Activation {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Partial<Record<keyof Activation, unknown>>;
  return (
    typeof v.name === "string" &&
    typeof v.config === "object" &&
    v.config !== null &&
    typeof v.f === "function" &&
    typeof v.df === "function" &&
    typeof v.apply === "function" &&
    typeof v.backward === "function"
  );
}
