export type { Dataset, DatasetOptions, TableDataset, Task } from "./dataset.js";
export type { ColumnOptions } from "./build-dataset.js";
export { parseCsv, tableToDataset, type CsvTable, type TableOptions } from "./csv.js";
export { readJsonDataset } from "./json.js";
export { xor, circles, moons, spirals } from "./synthetic.js";
export { iris } from "./iris.js";
export { digits } from "./digits.js";
export { mnist } from "./mnist.js";
export { listDatasets, loadDataset, isDatasetName, type DatasetInfo } from "./builtin.js";
export {
  fitNormalizer,
  applyNormalizer,
  invertNormalizer,
  parseNormalizer,
  normalizationLayer,
  type Normalizer,
  type NormalizeMethod,
} from "./normalize.js";
export { trainValidationSplit, toMatrix, type TrainValidationSplit } from "./split.js";
