export type { Metric } from "./metric.js";
export { accuracy } from "./accuracy.js";
export { binaryAccuracy, type BinaryAccuracyOptions } from "./binary-accuracy.js";
export { categoricalAccuracy } from "./categorical-accuracy.js";
export { sparseCategoricalAccuracy } from "./sparse-categorical-accuracy.js";
export { meanSquaredErrorMetric, meanAbsoluteErrorMetric } from "./error-metrics.js";
export {
  getMetric,
  resolveMetric,
  registerMetric,
  unregisterMetric,
  metricNames,
  type MetricFactory,
  type MetricSpec,
} from "./registry.js";
