import type { NamedConfig } from "../named-config.js";
import { BackpropError, Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import type { EmptyOptions } from "../losses/read-config.js";
import { accuracy } from "./accuracy.js";
import { binaryAccuracy, type BinaryAccuracyOptions } from "./binary-accuracy.js";
import { categoricalAccuracy } from "./categorical-accuracy.js";
import { meanAbsoluteErrorMetric, meanSquaredErrorMetric } from "./error-metrics.js";
import type { Metric } from "./metric.js";
import { sparseCategoricalAccuracy } from "./sparse-categorical-accuracy.js";

/** Builds a metric from its JSON config (`{}` or omitted for the defaults). */
export type MetricFactory = (config?: Readonly<JsonObject>) => Metric;

/** What {@link resolveMetric} accepts: a name, a saved `{ name, config }`, or a metric. */
export type MetricSpec = string | NamedConfig | Metric;

// Factories take typed options; a JSON config is validated at runtime by each factory.
const noOptions =
  (f: (o?: EmptyOptions) => Metric): MetricFactory =>
  (c) =>
    f(c as EmptyOptions | undefined);

const mse = noOptions(meanSquaredErrorMetric);
const mae = noOptions(meanAbsoluteErrorMetric);

const registry = /* @__PURE__ */ new Registry<MetricFactory>(
  "metric",
  {
    accuracy: noOptions(accuracy),
    binaryAccuracy: (c) => binaryAccuracy(c as BinaryAccuracyOptions | undefined),
    categoricalAccuracy: noOptions(categoricalAccuracy),
    sparseCategoricalAccuracy: noOptions(sparseCategoricalAccuracy),
    meanSquaredError: mse,
    mse,
    meanAbsoluteError: mae,
    mae,
  },
  'register it first with registerMetric("myproject>myMetric", (config) => ({ name, config, compute }))',
);

/**
 * The metric registered under `name`, built with `config`. Built-in names are lowerCamel plus
 * the aliases `"mse"` and `"mae"` (which build the metric named `"meanSquaredError"` /
 * `"meanAbsoluteError"`).
 *
 * @throws BackpropError `UNKNOWN_COMPONENT` listing the registered names, or `INVALID_CONFIG`
 * @example
 * ```ts
 * getMetric("binaryAccuracy", { threshold: 0 }).config; // { threshold: 0 }
 * ```
 */
export function getMetric(name: string, config?: Readonly<JsonObject>): Metric {
  return registry.get(name)(config);
}

/**
 * Turns a metric spec into a metric: a name or `{ name, config }` goes through {@link getMetric};
 * a metric object is returned as is.
 *
 * @throws BackpropError `UNKNOWN_COMPONENT`, `INVALID_CONFIG`, or `INVALID_ARGUMENT` for anything else
 * @example
 * ```ts
 * resolveMetric("accuracy").name; // "accuracy"
 * ```
 */
export function resolveMetric(spec: MetricSpec): Metric {
  if (typeof spec === "string") return getMetric(spec);
  if (typeof spec === "object" && spec !== null && typeof spec.name === "string") {
    if ("compute" in spec && typeof spec.compute === "function") return spec;
    if (!("compute" in spec)) return getMetric(spec.name, spec.config);
  }
  throw new BackpropError(
    "INVALID_ARGUMENT",
    `resolveMetric: cannot make a metric from ${describeSpec(spec)} (expected a name, { name, config } or a Metric object)`,
  );
}

/**
 * Adds a custom metric factory under `name` (namespace it, e.g. `"acme>f1"`).
 * @throws BackpropError `DUPLICATE_COMPONENT` for a built-in or taken name (unless `override`)
 * @example
 * ```ts
 * registerMetric("acme>maxError", () => ({ name: "acme>maxError", config: {}, compute: (p, t) => 0 }));
 * ```
 */
export function registerMetric(name: string, factory: MetricFactory, options?: RegisterOptions): void {
  registry.register(name, factory, options);
}

/**
 * Removes a custom metric; returns whether there was one. Built-ins cannot be removed.
 * @example
 * ```ts
 * unregisterMetric("acme>maxError");
 * ```
 */
export function unregisterMetric(name: string): boolean {
  return registry.unregister(name);
}

/**
 * Every name {@link getMetric} accepts, built-ins (with aliases) first.
 * @example
 * ```ts
 * metricNames().includes("accuracy"); // true
 * ```
 */
export function metricNames(): string[] {
  return registry.names();
}

function describeSpec(spec: unknown): string {
  if (spec === null) return "null";
  if (typeof spec === "object") return "an object without a string name";
  return `${typeof spec} ${String(spec)}`;
}
