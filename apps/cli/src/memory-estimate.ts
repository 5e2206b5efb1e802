import { freemem, totalmem } from "node:os";
import { cliError } from "./cli-error.js";
import { MAX_JSON_BYTES } from "@backprop/serialize";

/**
 * What a training run will need, worked out before anything is allocated, so that an impossible
 * network (`--layers 100000,100000`: 10 billion weights) is refused with the figures instead of
 * ending in `Invalid typed array length`, a `WebAssembly.Memory.grow()` failure, or the machine
 * swapping its way to 6 GB.
 */

/** The machine's memory, in bytes (`os.totalmem()`, `os.freemem()`). */
export interface MachineMemory {
  readonly total: number;
  readonly free: number;
}

/** This machine's memory now. */
export function machineMemory(): MachineMemory {
  return { total: totalmem(), free: freemem() };
}

const KIB = 1024;

/** `512 B`, `3.2 MiB`, `5.8 GiB`, `74.5 TiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let value = bytes;
  let unit = 0;
  while (value >= KIB && unit < units.length - 1) {
    value /= KIB;
    unit++;
  }
  return `${unit === 0 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** `400 160 003` → `400,160,003`. */
export const formatCount = (n: number): string => Math.round(n).toLocaleString("en-US");

/**
 * Bytes the rows of a table take once read: each sample's numbers as a JS array (8 bytes a number
 * and ~48 bytes of array), and the float matrix the network reads them from (up to 8 bytes).
 */
export function tableBytes(rows: number, inputs: number, outputs: number): number {
  return rows * ((inputs + outputs) * 16 + 96);
}

/**
 * Refuses a table that cannot be held in memory, before its rows are allocated.
 * @param where - the file, for the message
 * @throws BackpropError `INVALID_FILE` with the rows, columns, bytes needed and the machine's memory
 */
export function checkTableMemory(where: string, rows: number, inputs: number, outputs: number, machine: MachineMemory = machineMemory()): void {
  const bytes = tableBytes(rows, inputs, outputs);
  if (bytes <= machine.total * 0.8) return;
  throw cliError(
    `${where}: ${formatCount(rows)} rows of ${formatCount(inputs)} inputs and ${formatCount(outputs)} target columns need about ${formatBytes(bytes)} in memory (this machine has ${formatBytes(machine.total)})`,
    "INVALID_FILE",
    outputs > 1000 ? "that many target columns is a class per distinct value: choose another --target, or --task regression for a numeric one" : "use fewer rows or --features",
  );
}

/** Per-parameter state arrays (Float64Array) of each built-in optimizer with its default options. */
const OPTIMIZER_SLOTS: Readonly<Record<string, number>> = { sgd: 0, adagrad: 1, rmsprop: 1, adadelta: 2, adam: 2, adamw: 2, adamax: 2, nadam: 2 };

/** What {@link estimateNetwork} needs to know about a run. */
export interface NetworkPlan {
  /** Network inputs per sample. */
  readonly inputs: number;
  /** Units of each hidden Dense layer. */
  readonly hidden: readonly number[];
  /** Outputs per sample. */
  readonly outputs: number;
  readonly dtype: "float32" | "float64";
  readonly optimizer: string;
  readonly batchSize: number;
  /** Training samples (the rows are counted separately, by {@link tableBytes}). */
  readonly samples: number;
  /** `--early-stopping`: the best epoch's weights are kept as a copy. */
  readonly earlyStopping?: boolean;
  /** Whether the model is saved as native JSON (text) — `--save x.json` or a checkpoint. */
  readonly savesJson?: boolean;
}

/** What a run needs: its parameters, and its bytes while training and while saving. */
export interface NetworkEstimate {
  readonly params: number;
  /** Weights, gradients, optimizer state, the epoch-end copy, activations. */
  readonly trainingBytes: number;
  /** The extra bytes of writing a JSON model file (its text, twice: string and UTF-8). */
  readonly savingBytes: number;
  /** The peak: training, plus saving at the end. */
  readonly bytes: number;
  /** Characters of the JSON model file. */
  readonly jsonChars: number;
  /** Bytes the largest layer's matrix product needs at once (inputs, weights, outputs). */
  readonly largestProductBytes: number;
  /** Weights of the largest layer. */
  readonly largestWeights: number;
}

/** Characters of one number in a JSON model file (`-0.012345678918063641,`). */
const JSON_CHARS_PER_NUMBER = 22;

/**
 * The largest JSON model file the loader reads (`MAX_JSON_BYTES` of @backprop/serialize): a
 * larger one could be written but not loaded back, so the run would be lost.
 */
export const MAX_JSON_FILE_BYTES = MAX_JSON_BYTES;

/** The WebAssembly heap the matrix kernels run in: 4 GiB (32-bit addresses). */
export const WASM_HEAP_BYTES = 4 * KIB ** 3;

/**
 * The most numbers one plain JS array holds in practice (V8's limit is 2²⁷ − 3 elements, and
 * `Array.from` over-allocates as it grows): the optimizer state of a layer is copied into such
 * arrays at every epoch end (`stateDict`) and its weights when a model file is written.
 */
export const MAX_ARRAY_NUMBERS = 120_000_000;

/** Rows the model reads at once to predict and evaluate (Sequential's default batch). */
const PREDICT_BATCH = 256;

/**
 * Estimates a Dense network's parameters and memory: weights and gradients in the run's dtype,
 * the optimizer's Float64 slots, the epoch-end copy kept for Ctrl-C (weights, and the optimizer
 * state as plain arrays), the best weights under early stopping, the activations of a batch, and
 * the JSON text of a saved file.
 * @example
 * ```ts
 estimateNetwork({ inputs: 4, hidden: [16], outputs: 3, dtype: "float32", optimizer: "adam", batchSize: 32, samples: 120 }).params;
 * // 139: 4·16 + 16 and 16·3 + 3 weights, and the Normalization layer's 4 means and 4 variances
 * ```
 */
export function estimateNetwork(plan: NetworkPlan): NetworkEstimate {
  const b = plan.dtype === "float64" ? 8 : 4;
  const widths = [plan.inputs, ...plan.hidden, plan.outputs];
  let params = 2 * plan.inputs; // the Normalization layer's mean and variance
  let units = 0;
  let largestProductBytes = 0;
  let largestWeights = 0;
  const batch = Math.max(plan.batchSize, PREDICT_BATCH);
  for (let k = 1; k < widths.length; k++) {
    const fanIn = widths[k - 1] as number;
    const fanOut = widths[k] as number;
    params += fanIn * fanOut + fanOut;
    units += fanOut;
    largestProductBytes = Math.max(largestProductBytes, (batch * fanIn + fanIn * fanOut + batch * fanOut) * b);
    largestWeights = Math.max(largestWeights, fanIn * fanOut);
  }
  const slots = OPTIMIZER_SLOTS[plan.optimizer] ?? 2;
  const perParam = 3 * b + 16 * slots + (plan.earlyStopping ? 8 : 0);
  const activations = batch * (units + plan.inputs) * b * 4;
  const trainingBytes = params * perParam + activations;
  const jsonChars = params * JSON_CHARS_PER_NUMBER * (1 + slots);
  // NOTE: a conservative figure: the writer streams the file in chunks, but the optimizer state is still copied into plain arrays.
  const savingBytes = plan.savesJson ? params * (1 + slots) * 8 + jsonChars * 2 : 0;
  return { params, trainingBytes, savingBytes, bytes: trainingBytes + savingBytes, jsonChars, largestProductBytes, largestWeights };
}

/**
 * Refuses, before any weight is allocated, a network this machine cannot train or save: more
 * memory than it has, a layer of more weights than a JS array holds, a layer whose matrix product
 * does not fit the 4 GiB WebAssembly heap, or a JSON model file larger than the loader reads. Warns (the returned text) when it needs more
 * than the memory free now.
 * @param what - the flag that shapes the network, for the messages (`--layers 20000,20000`)
 * @returns a warning to print, or undefined
 * @throws BackpropError `INVALID_ARGUMENT` with the parameters, the bytes needed and the machine's memory
 */
export function checkNetworkMemory(plan: NetworkPlan, what: string, machine: MachineMemory = machineMemory()): string | undefined {
  const e = estimateNetwork(plan);
  const size = `${formatCount(e.params)} parameters`;
  if (e.bytes > machine.total) {
    throw cliError(`${what}: ${size} need about ${formatBytes(e.bytes)} to train (this machine has ${formatBytes(machine.total)})`, "INVALID_ARGUMENT", "use fewer or smaller layers");
  }
  if (e.largestWeights > MAX_ARRAY_NUMBERS) {
    throw cliError(
      `${what}: one layer holds ${formatCount(e.largestWeights)} weights; its weights and optimizer state are copied into plain arrays at every epoch end and when the model is saved, and Node.js arrays hold at most about ${formatCount(MAX_ARRAY_NUMBERS)} numbers`,
      "INVALID_ARGUMENT",
      "use smaller layers",
    );
  }
  if (e.largestProductBytes > WASM_HEAP_BYTES) {
    throw cliError(
      `${what}: one layer's matrix product needs ${formatBytes(e.largestProductBytes)} at once, more than the ${formatBytes(WASM_HEAP_BYTES)} the WebAssembly kernels can address`,
      "INVALID_ARGUMENT",
      "use smaller layers",
    );
  }
  if (plan.savesJson && e.jsonChars > MAX_JSON_FILE_BYTES) {
    const slots = OPTIMIZER_SLOTS[plan.optimizer] ?? 2;
    const most = Math.floor(MAX_JSON_FILE_BYTES / (JSON_CHARS_PER_NUMBER * (1 + slots)));
    throw cliError(
      `${what}: ${size} do not fit in a JSON model file (about ${formatBytes(e.jsonChars)} of text; the loader reads at most ${formatBytes(MAX_JSON_FILE_BYTES)}, about ${formatCount(most)} parameters with ${plan.optimizer})`,
      "INVALID_ARGUMENT",
      "use fewer or smaller layers, or save as .safetensors",
    );
  }
  if (e.bytes > machine.free) {
    return `${what}: ${size} need about ${formatBytes(e.bytes)} to train, more than the ${formatBytes(machine.free)} free now (the machine has ${formatBytes(machine.total)}): expect swapping`;
  }
  return undefined;
}
