import { BackpropError, type Json, type JsonObject } from "@backprop/linalg";
import type { Layer } from "@backprop/layers";

/*
 * What the exporters (TF.js, ONNX) read from a recurrent layer's stored config: which cell it
 * runs and its flat options. Read from `getConfig()`, as the other exporters do (see
 * layer-config.ts), so a wrapper's stored inner layer (Bidirectional's `layer`) reads the same way.
 */

/** The cells our recurrent layers run: an LSTM, a GRU or a SimpleRNN (Keras' gate layouts). */
export type RecurrentKind = "lstm" | "gru" | "simpleRnn";

const LAYER_KINDS: Readonly<Record<string, RecurrentKind>> = { lstm: "lstm", gru: "gru", simpleRnn: "simpleRnn" };
const CELL_KINDS: Readonly<Record<string, RecurrentKind>> = { lstmCell: "lstm", gruCell: "gru", simpleRnnCell: "simpleRnn" };

/** The class names {@link recurrentSpec} reads. */
export const RECURRENT_CLASSES: readonly string[] = [...Object.keys(LAYER_KINDS), "rnn"];

/** A recurrent layer's cell and its flat config: the cell's options beside the loop's (`returnSequences`, …). */
export interface RecurrentSpec {
  readonly kind: RecurrentKind;
  readonly config: JsonObject;
}

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The cell and flat config of a stored recurrent layer: an LSTM, GRU or SimpleRNN, or an RNN of
 * one of their cells (which computes the same as that layer, with the same weights).
 * @throws BackpropError `INVALID_ARGUMENT` naming `owner` for anything else
 */
export function recurrentSpec(where: string, owner: Layer, className: string, config: JsonObject): RecurrentSpec {
  const direct = Object.hasOwn(LAYER_KINDS, className) ? LAYER_KINDS[className] : undefined;
  if (direct !== undefined) return { kind: direct, config };
  const cell = config["cell"];
  const cellClass = isJsonObject(cell) && typeof cell["className"] === "string" ? cell["className"] : undefined;
  const viaCell = cellClass !== undefined && Object.hasOwn(CELL_KINDS, cellClass) ? CELL_KINDS[cellClass] : undefined;
  const cellConfig = isJsonObject(cell) ? (cell["config"] ?? {}) : undefined;
  if (className !== "rnn" || viaCell === undefined || !isJsonObject(cellConfig)) {
    throw new BackpropError(
      "INVALID_ARGUMENT",
      `${where}: layer "${owner.name}" (${className}${cellClass === undefined ? "" : ` of ${cellClass}`}) is not a recurrent layer it can write (supported: lstm, gru, simpleRnn, and rnn of lstmCell, gruCell or simpleRnnCell)`,
    );
  }
  const { cell: _cell, ...loop } = config;
  return { kind: viaCell, config: { ...cellConfig, ...loop } };
}

/** An activation as a stored config holds it, `{ name, config }`, or `fallback` when absent. */
export function storedActivation(config: JsonObject, key: string, fallback: string): { readonly name: string; readonly config: Readonly<Record<string, Json>> } {
  const v = config[key];
  if (isJsonObject(v) && typeof v["name"] === "string") return { name: v["name"], config: isJsonObject(v["config"]) ? v["config"] : {} };
  if (typeof v === "string") return { name: v, config: {} };
  return { name: fallback, config: {} };
}

/** Whether a stored config (or one nested in it, a wrapper's inner layer) has `stateful: true`. */
export function hasStateful(config: Json): boolean {
  if (Array.isArray(config)) return config.some(hasStateful);
  if (!isJsonObject(config)) return false;
  return config["stateful"] === true || Object.values(config).some((v) => v !== undefined && hasStateful(v));
}
