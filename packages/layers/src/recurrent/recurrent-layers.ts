import { BackpropError, describeValue, type JsonObject } from "@backprop/linalg";
import { GRUCell, type GRUCellConfig } from "./gru-cell.js";
import { LSTMCell, type LSTMCellConfig } from "./lstm-cell.js";
import { RNN, type RecurrentLayerOptions } from "./rnn.js";
import { SimpleRNNCell, type SimpleRNNCellConfig } from "./simple-rnn-cell.js";

/** Options of {@link LSTM}: the cell's and the loop's, side by side (as Keras and TensorFlow.js). */
export interface LSTMConfig extends LSTMCellConfig, RecurrentLayerOptions {}
/** Options of {@link GRU}: the cell's and the loop's, side by side. */
export interface GRUConfig extends GRUCellConfig, RecurrentLayerOptions {}
/** Options of {@link SimpleRNN}: the cell's and the loop's, side by side. */
export interface SimpleRNNConfig extends SimpleRNNCellConfig, RecurrentLayerOptions {}

const LOOP_KEYS = ["returnSequences", "returnState", "goBackwards", "stateful", "inputShape", "name"] as const;

/** Splits a flat layer config into the loop's options and the cell's. */
function split(where: string, config: unknown): { loop: RecurrentLayerOptions; cell: JsonObject } {
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new BackpropError("INVALID_CONFIG", `${where}: expected a config object such as { units: 32 } (got ${describeValue(config)})`);
  }
  const loop: Record<string, unknown> = {};
  const cell: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if ((LOOP_KEYS as readonly string[]).includes(key)) loop[key] = value;
    else if (key !== "name") cell[key] = value;
  }
  return { loop: loop as RecurrentLayerOptions, cell: cell as JsonObject };
}

/**
 * A long short-term memory layer (Keras' and TensorFlow.js' `LSTM`): an {@link RNN} of
 * {@link LSTMCell}s, with the cell's options in the same object. Inputs `[batch, time, features]`,
 * output `[batch, units]`, or `[batch, time, units]` with `returnSequences`.
 *
 * @see https://keras.io/api/layers/recurrent_layers/lstm/
 * @example
 * ```ts
 * const model = new Sequential([new LSTM({ units: 32, inputShape: [32, 1] }), new Dense({ units: 1 })]);
 * model.compile({ loss: "meanSquaredError", optimizer: adam({ lr: 0.01 }) });
 * ```
 */
export class LSTM extends RNN {
  /** The LSTM cell run at each step. */
  declare readonly cell: LSTMCell;

  constructor(config: LSTMConfig) {
    const { loop, cell } = split("LSTM", config);
    super(loop, new LSTMCell(cell as unknown as LSTMCellConfig), "lstm");
  }

  /** The flat config: the cell's options and the loop's. */
  override getConfig(): JsonObject {
    return { name: this.name, ...this.cell.getConfig(), ...this.loopConfig() };
  }
}

/**
 * A gated recurrent unit layer (Keras' and TensorFlow.js' `GRU`): an {@link RNN} of
 * {@link GRUCell}s. `resetAfter` picks Keras' default (true) or TensorFlow.js 4's variant (false).
 *
 * @see https://keras.io/api/layers/recurrent_layers/gru/
 * @example
 * ```ts
 * const gru = new GRU({ units: 16, returnSequences: true, inputShape: [20, 3] }); // → [20, 16]
 * ```
 */
export class GRU extends RNN {
  /** The GRU cell run at each step. */
  declare readonly cell: GRUCell;

  constructor(config: GRUConfig) {
    const { loop, cell } = split("GRU", config);
    super(loop, new GRUCell(cell as unknown as GRUCellConfig), "gru");
  }

  /** The flat config: the cell's options and the loop's. */
  override getConfig(): JsonObject {
    return { name: this.name, ...this.cell.getConfig(), ...this.loopConfig() };
  }
}

/**
 * A fully connected recurrent layer (Keras' and TensorFlow.js' `SimpleRNN`):
 * `h = tanh(x·W + h₋₁·U + b)` at each step.
 *
 * @see https://keras.io/api/layers/recurrent_layers/simple_rnn/
 * @example
 * ```ts
 * const rnn = new SimpleRNN({ units: 8, inputShape: [10, 2] }); // → [8]
 * ```
 */
export class SimpleRNN extends RNN {
  /** The cell run at each step. */
  declare readonly cell: SimpleRNNCell;

  constructor(config: SimpleRNNConfig) {
    const { loop, cell } = split("SimpleRNN", config);
    super(loop, new SimpleRNNCell(cell as unknown as SimpleRNNCellConfig), "simpleRnn");
  }

  /** The flat config: the cell's options and the loop's. */
  override getConfig(): JsonObject {
    return { name: this.name, ...this.cell.getConfig(), ...this.loopConfig() };
  }
}
