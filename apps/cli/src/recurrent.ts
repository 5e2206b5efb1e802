import { Embedding, GRU, LSTM, RNN, SimpleRNN, type Layer, type Sequential } from "@backprop/layers";
import { Tensor, type DType, type Rng } from "@backprop/linalg";
import { cliError } from "./cli-error.js";

/** The recurrent cells the CLI's presets offer. */
export const CELLS = ["lstm", "gru", "rnn"] as const;
/** One of {@link CELLS}: `rnn` is Keras' SimpleRNN. */
export type CellName = (typeof CELLS)[number];

/** A recurrent layer of `units` with the given cell; every step's output with `returnSequences`. */
export function recurrentLayer(cell: CellName, units: number, returnSequences: boolean): Layer {
  const config = { units, returnSequences };
  return cell === "gru" ? new GRU(config) : cell === "rnn" ? new SimpleRNN(config) : new LSTM(config);
}

/**
 * The cell from `--model` and `--cell`: `--model lstm|gru|rnn` names it, `--cell` too; given both,
 * they must agree.
 */
export function pickCell(model: string | undefined, cell: string | undefined): CellName {
  const fromModel = (CELLS as readonly string[]).includes(model ?? "") ? (model as CellName) : undefined;
  if (cell !== undefined && !(CELLS as readonly string[]).includes(cell)) throw cliError(`--cell: unknown cell "${cell}" (valid: ${CELLS.join(", ")})`);
  if (fromModel && cell && fromModel !== cell) throw cliError(`--cell ${cell} disagrees with --model ${fromModel} (give one of them)`);
  return (cell as CellName | undefined) ?? fromModel ?? "lstm";
}

/**
 * Runs a token model (`Embedding` → recurrent layers → per-step layers such as `Dense`) one token
 * at a time, carrying each recurrent layer's state (h, and c for an LSTM) from call to call: the
 * next token costs one step, not a re-run of the whole window.
 */
export class TokenStepper {
  private readonly embedding: Embedding;
  private readonly recurrent: RNN[];
  private readonly head: Layer[];
  private states: (Tensor[] | undefined)[];
  private readonly dtype: DType;

  constructor(model: Sequential, where: string) {
    const layers = model.layers;
    const first = layers[0];
    let k = 1;
    while (layers[k] instanceof RNN) k++;
    if (!(first instanceof Embedding) || k === 1 || layers.slice(1, k).some((l) => !(l as RNN).returnSequences)) {
      throw cliError(`${where}: expected Embedding → recurrent layers (returnSequences) → Dense, as \`backprop train-text\` builds (got ${layers.map((l) => l.className).join(" → ")})`, "INVALID_FILE");
    }
    this.embedding = first;
    this.recurrent = layers.slice(1, k) as RNN[];
    this.head = layers.slice(k);
    this.states = this.recurrent.map(() => undefined);
    this.dtype = model.dtype;
  }

  /** Forgets the carried states: the next {@link TokenStepper.feed} starts a new text. */
  reset(): void {
    this.states = this.recurrent.map(() => undefined);
  }

  /** Feeds token ids (one or more) and returns the next-token probabilities after the last (a copy). */
  feed(ids: readonly number[]): Float64Array {
    const x = new Tensor([1, ids.length], this.dtype);
    x.data.set(ids);
    let h = this.embedding.forward(x);
    this.recurrent.forEach((layer, i) => {
      const state = this.states[i];
      const r = layer.call(h, state ? { initialState: state } : {});
      // NOTE: the returned states are views into the layer's workspace: copy before the next call.
      this.states[i] = r.states.map((s) => s.clone());
      h = r.output;
    });
    for (const layer of this.head) h = layer.forward(h);
    const width = h.shape[h.rank - 1] as number;
    return Float64Array.from(h.data.subarray(h.data.length - width));
  }
}

/**
 * Draws a token id from next-token probabilities: the most likely one at temperature 0 (greedy;
 * the lowest id on ties), else from `p^(1/T)` renormalised — below 1 sharper, above 1 flatter.
 */
export function sampleToken(probs: Float64Array, temperature: number, rng: Rng): number {
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < probs.length; i++) if ((probs[i] as number) > (probs[best] as number)) best = i;
    return best;
  }
  const logits = Array.from(probs, (p) => Math.log(Math.max(p, 1e-30)) / temperature);
  const max = Math.max(...logits);
  const weights = logits.map((l) => Math.exp(l - max));
  const total = weights.reduce((a, b) => a + b, 0);
  let u = rng.uniform() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i] as number;
    if (u < 0) return i;
  }
  return weights.length - 1;
}
