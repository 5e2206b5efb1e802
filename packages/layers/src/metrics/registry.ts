import type { NamedConfig } from "../named-config.js";
import { Registry, type JsonObject, type RegisterOptions } from "@backprop/linalg";
import { accuracy } from "./accuracy.js";
import { binaryAccuracy } from "./binary-accuracy.js";
import { categoricalAccuracy } from "./categorical-accuracy.js";
import { meanAbsoluteErrorMetric, meanSquaredErrorMetric } from "./error-metrics.js";
import type { Metric } from "./metric.js";
import { sparseCategoricalAccuracy } from "./sparse-categorical-accuracy.js";

/** Builds a metric from its JSON config (`{}` or omitted for the defaults). */
export type MetricFactory = (config?: Readonly<JsonObject>) => Metric;

/** What {@link resolveMetric} accepts: a name, a saved `{ name, config }`, or a metric. */
export type MetricSpec = string | NamedConfig | Metric;

// NOTE: every factory checks its JSON config itself (readConfig), so its typed options are only a cast.
function fromJson<O>(factory: (options?: O) => Metric): MetricFactory {
  return (config) => factory(config as O | undefined);
}

const mse = fromJson(meanSquaredErrorMetric);
const mae = fromJson(meanAbsoluteErrorMetric);

const metrics = /* @__PURE__ */ new Registry<MetricFactory>({
  kind: "metric",
  builtins: {
    accuracy: fromJson(accuracy),
    binaryAccuracy: fromJson(binaryAccuracy),
    categoricalAccuracy: fromJson(categoricalAccuracy),
    sparseCategoricalAccuracy: fromJson(sparseCategoricalAccuracy),
    meanSquaredError: mse,
    mse,
    meanAbsoluteError: mae,
    mae,
  },
  registerHint: 'register it first: registerMetric("myproject>myMetric", (config) => ({ name, config, compute }))',
  where: { get: "getMetric", resolve: "resolveMetric", register: "registerMetric" },
  component: { label: "a Metric", keys: ["compute"] },
});

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
  return metrics.create(name, config);
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
  return metrics.resolve(spec);
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
  metrics.register(name, factory, options);
}

/**
 * Removes a custom metric; returns whether there was one. Built-ins cannot be removed.
 * @example
 * ```ts
 * unregisterMetric("acme>maxError");
 * ```
 */
export function unregisterMetric(name: string): boolean {
  return metrics.unregister(name);
}

/**
 * Every name {@link getMetric} accepts, built-ins (with aliases) first.
 * @example
 * ```ts
 * metricNames().includes("accuracy"); // true
 * ```
 */
export function metricNames(): string[] {
  return metrics.names();
}
