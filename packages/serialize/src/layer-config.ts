import { BackpropError, type JsonObject } from "@backprop/linalg";
import type { Layer } from "@backprop/layers";

/*
 * What the exporters read from a layer's `getConfig()` — its public, saved form — rather than
 * from class internals: an entry of a table keyed by `className` needs no `instanceof`, which
 * fails across two copies of the package. The config is the layer's own, so a value of the wrong
 * form means a custom layer registered under a built-in's name: an argument error, not a file error.
 */

function badConfig(where: string, layer: Layer, key: string, value: unknown, expected: string): BackpropError {
  return new BackpropError(
    "INVALID_ARGUMENT",
    `${where}: layer "${layer.name}" (${layer.className}) has an unusable ${key} in its config (got ${JSON.stringify(value) ?? typeof value}, expected ${expected})`,
  );
}

const positive = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n > 0;
const nonNegative = (n: unknown): n is number => typeof n === "number" && Number.isSafeInteger(n) && n >= 0;

/** `[height, width]` from a size in the config (`strides`, `poolSize`, …): one number means both. */
export function configPair(where: string, layer: Layer, key: string): readonly [number, number] {
  const v = layer.getConfig()[key];
  if (positive(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && positive(v[0]) && positive(v[1])) return [v[0], v[1]];
  throw badConfig(where, layer, key, v, "[height, width] of positive integers");
}

/** `"valid"` or `"same"`. */
export function configPadding(where: string, layer: Layer): "valid" | "same" {
  const v = layer.getConfig()["padding"];
  if (v === "valid" || v === "same") return v;
  throw badConfig(where, layer, "padding", v, '"valid" or "same"');
}

/** A finite number (`epsilon`, `momentum`). */
export function configNumber(where: string, layer: Layer, key: string): number {
  const v = layer.getConfig()[key];
  if (typeof v === "number" && Number.isFinite(v)) return v;
  throw badConfig(where, layer, key, v, "a finite number");
}

/** ZeroPadding2D's `[[top, bottom], [left, right]]`. */
export function configSides(where: string, layer: Layer): readonly [readonly [number, number], readonly [number, number]] {
  const v = layer.getConfig()["padding"];
  const pair = (p: unknown): p is [number, number] => Array.isArray(p) && p.length === 2 && nonNegative(p[0]) && nonNegative(p[1]);
  if (Array.isArray(v) && v.length === 2 && pair(v[0]) && pair(v[1])) return [v[0], v[1]];
  throw badConfig(where, layer, "padding", v, "[[top, bottom], [left, right]] of integers ≥ 0");
}

/**
 * An L1/L2 regularizer's `{ l1, l2 }`, or null for none; from `config` when given (the stored
 * config of a layer inside a wrapper), else from the layer's own.
 */
export function configRegularizer(where: string, layer: Layer, key: string, config: JsonObject = layer.getConfig()): { l1: number; l2: number } | null {
  const v = config[key];
  if (v === undefined || v === null) return null;
  if (typeof v === "object" && !Array.isArray(v)) {
    const { l1 = 0, l2 = 0 } = v as { readonly l1?: unknown; readonly l2?: unknown };
    if (typeof l1 === "number" && typeof l2 === "number") return { l1, l2 };
  }
  throw badConfig(where, layer, key, v, "{ l1, l2 } or null");
}
