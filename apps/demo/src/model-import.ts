import { Dense, Dropout, type Sequential } from "@backprop/layers";
import { denseLayers } from "./model.js";
import { modelFromJSON, readModelMetadata } from "@backprop/serialize";
import { FEATURES, type FeatureName } from "./features.js";
import { FORMULA_ACTIVATIONS } from "./model-file.js";
import type { LayerWeights } from "./protocol.js";
import { ACTIVATIONS, DEFAULT_STATE, MAX_LAYERS, MAX_NEURONS, decodeState, encodeState, type DemoState } from "./state.js";

/** A model file the playground cannot show, with the reason in the page's words. */
export class ModelImportError extends Error {
  override readonly name = "ModelImportError";
}

/** A model file read for the playground: the configuration it needs and its trained weights. */
export interface ImportedModel {
  /** The playground link (URL hash, without `#`) of a configuration that holds this network. */
  readonly hash: string;
  readonly weights: LayerWeights[];
  /** What the page should tell the user about how the file was read. */
  readonly note: string;
}

/** Files larger than this are not models of the playground's size (6 × 8 neurons at most). */
const MAX_IMPORT_BYTES = 2 * 1024 * 1024;

/**
 * The Dense layers' weights as the page draws them (kernel rows are inputs), or with `"grad"` their
 * gradients of the last batch, in the same shape.
 */
export function denseWeights(model: Sequential, of: "value" | "grad" = "value"): LayerWeights[] {
  return denseLayers(model).map((layer) => {
    const [kernel, bias] = layer.params();
    return { kernel: kernel ? kernel[of].asMatrix().toArray() : [], bias: bias ? Array.from(bias[of].data) : [] };
  });
}

/**
 * Reads a Backprop JSON model file for the playground. A file the playground exported carries
 * its configuration (metadata `playground`) and opens exactly as it was. Any other model of Dense
 * (and Dropout) layers that fits the playground — 1–7 inputs taken as the first features
 * (x₁, x₂, …), at most 6 hidden layers of 8, an output of one sigmoid unit (two classes), a
 * softmax over 3–5 classes or one linear unit (regression) — opens too, with the playground's
 * defaults for what the file does not say (data set, optimizer).
 *
 * @throws ModelImportError naming the file and what does not fit
 * @example
 * ```ts
 * const { hash, weights } = readPlaygroundModel(await file.text(), file.name);
 * ```
 */
export function readPlaygroundModel(text: string, fileName: string): ImportedModel {
  if (text.length > MAX_IMPORT_BYTES) {
    throw new ModelImportError(`${fileName}: ${(text.length / 1024 / 1024).toFixed(1)} MB is too large for a playground model (at most 2 MB)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ModelImportError(`${fileName}: not a JSON model file (${error instanceof Error ? error.message : String(error)})`);
  }
  let model: Sequential;
  try {
    model = modelFromJSON(parsed, { file: fileName, custom: { activations: FORMULA_ACTIVATIONS } });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\nhelp:")[0] : String(error);
    throw new ModelImportError(message);
  }
  const metadata = readModelMetadata(parsed);
  const weights = denseWeights(model);
  const link = metadata["playground"];
  if (typeof link === "string") {
    const state = decodeState(link);
    checkShapes(fileName, state, weights);
    return { hash: encodeState(state), weights, note: `Opened ${fileName}, exported by the playground.` };
  }
  const state = stateForModel(fileName, model);
  checkShapes(fileName, state, weights);
  return {
    hash: encodeState(state),
    weights,
    note: `Opened ${fileName}: inputs read as ${state.features.join(", ")}; the data set and optimizer are the playground's defaults.`,
  };
}

/** A configuration for a model file the playground did not write. */
function stateForModel(fileName: string, model: Sequential): DemoState {
  const layers = model.layers;
  for (const [i, layer] of layers.entries()) {
    if (!(layer instanceof Dense) && !(layer instanceof Dropout)) {
      throw new ModelImportError(`${fileName}: layer ${i + 1} is a ${layer.className} layer; the playground shows Dense and Dropout layers only`);
    }
  }
  const dense = denseLayers(model);
  const inputs = model.inputDim ?? 0;
  if (inputs < 1 || inputs > FEATURES.length) {
    throw new ModelImportError(`${fileName}: ${inputs} inputs; the playground has 1–${FEATURES.length} input features`);
  }
  const hidden = dense.slice(0, -1);
  const output = dense[dense.length - 1];
  if (!output) throw new ModelImportError(`${fileName}: no Dense layer`);
  if (hidden.length > MAX_LAYERS || hidden.some((d) => d.units > MAX_NEURONS)) {
    throw new ModelImportError(`${fileName}: hidden layers of ${hidden.map((d) => d.units).join(", ")} units; the playground shows at most ${MAX_LAYERS} layers of ${MAX_NEURONS}`);
  }
  const activations = hidden.map((d, i) => {
    const name = d.activation.name;
    if (!(ACTIVATIONS as readonly string[]).includes(name) || name === "formula") {
      throw new ModelImportError(`${fileName}: hidden layer ${i + 1} uses "${name}", which the playground does not offer`);
    }
    return name;
  });
  const outName = output.activation.name;
  let dataset: DemoState["dataset"];
  if (output.units === 1 && outName === "sigmoid") dataset = "circle";
  else if (output.units === 1 && (outName === "identity" || outName === "linear")) dataset = "plane";
  else if (outName === "softmax" && output.units >= 3 && output.units <= 5) dataset = output.units === 3 ? "blobs3" : output.units === 4 ? "blobs4" : "spiral5";
  else {
    throw new ModelImportError(
      `${fileName}: the output is ${output.units} "${outName}" unit${output.units === 1 ? "" : "s"}; the playground needs one sigmoid unit, one linear unit or a softmax over 3–5 classes`,
    );
  }
  const dropout = hidden.map((_, i) => {
    const next = layers[layers.indexOf(hidden[i] as Dense) + 1];
    return next instanceof Dropout ? next.rate : 0;
  });
  const base = decodeState(`dataset=${dataset}`);
  return {
    ...base,
    features: FEATURES.slice(0, inputs) as FeatureName[],
    hidden: hidden.map((d) => d.units),
    activations,
    dropout,
    initializer: DEFAULT_STATE.initializer,
  };
}

function checkShapes(fileName: string, state: DemoState, weights: readonly LayerWeights[]): void {
  const sizes = [state.features.length, ...state.hidden];
  const expectedLayers = state.hidden.length + 1;
  if (weights.length !== expectedLayers) {
    throw new ModelImportError(`${fileName}: ${weights.length} Dense layers, but its playground configuration has ${expectedLayers}`);
  }
  weights.forEach((w, i) => {
    const inputs = sizes[i] as number;
    if (w.kernel.length !== inputs) {
      throw new ModelImportError(`${fileName}: Dense layer ${i + 1} takes ${w.kernel.length} inputs, but its playground configuration gives it ${inputs}`);
    }
  });
}
