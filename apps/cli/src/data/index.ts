export type { Dataset, DatasetOptions, TableDataset, Task } from "./dataset.js";
export { MAX_CLASSES, type ColumnOptions } from "./build-dataset.js";
export { parseCsv, sniffDelimiter, tableToDataset, type CsvOptions, type CsvTable, type TableOptions } from "./csv.js";
export { parseNumber, parseDate, isMissingText, MISSING_TEXTS } from "./cells.js";
export { inputNames, inputWidth, readTableMetadata, columnsOf, MISSING_POLICIES, type ColumnEncoding, type MissingPolicy, type TableMetadata } from "./encoding.js";
export { fitFills, applyFills } from "./impute.js";
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
export { trainValidationSplit, splitIndices, testSeed, toMatrix, type TrainValidationSplit, type IndexSplit } from "./split.js";
