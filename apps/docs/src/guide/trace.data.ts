// Runs the reference step through the built @backprop/layers when the site is built, so the
// worked example on the concepts page shows the library's own numbers.
import { referenceExample, referenceModel, type StepTrace } from "@backprop/layers";
import { rowsOf, type NestedArray } from "@backprop/linalg";
import { EDGES, STAGES, type DiagramMark, type EdgeId, type NetworkStage, type NodeId, type StageId } from "../../.vitepress/theme/network.js";

/** The first row of a traced value's 2-D view (the first sample), or none. */
function firstRow(value: NestedArray | undefined): number[] {
  return value === undefined ? [] : (rowsOf(value)[0] ?? []);
}

/** The two traced variants of the reference step, and the published numbers they are compared with. */
export interface TraceData {
  readonly updated: StepTrace;
  readonly frozen: StepTrace;
  readonly published: typeof referenceExample;
  /** Largest |ours − published| over every number of both variants. */
  readonly maxDifference: number;
  /** The network drawn for each part of the page, from `updated`. */
  readonly diagram: Readonly<Record<StageId, NetworkStage>>;
}

function compare(trace: StepTrace, ref: typeof referenceExample.biasesUpdated): number {
  const [hidden, output] = trace.layers;
  if (!hidden || !output) throw new Error("trace.data: the reference model should have two layers");
  const pairs: [number[], readonly number[]][] = [
    [firstRow(hidden.preActivation), ref.hiddenNet],
    [firstRow(hidden.output), ref.hiddenOut],
    [firstRow(output.preActivation), ref.outputNet],
    [firstRow(output.output), ref.output],
    [firstRow(output.outputGradient), ref.outputError],
    [firstRow(output.delta), ref.outputDelta],
    [firstRow(hidden.delta), ref.hiddenDelta],
    [[trace.loss, trace.lossAfter], [ref.totalError, ref.totalErrorAfter]],
  ];
  let max = 0;
  for (const [ours, theirs] of pairs) {
    if (ours.length !== theirs.length) throw new Error("trace.data: trace and reference differ in shape");
    ours.forEach((v, i) => (max = Math.max(max, Math.abs(v - (theirs[i] as number)))));
  }
  return max;
}

/** Entry `at` of a nested array (a kernel row/column, or a bias entry). */
function entry(value: NestedArray, at: readonly number[]): number {
  let v: NestedArray | number = value;
  for (const i of at) v = (v as readonly (NestedArray | number)[])[i] as NestedArray | number;
  if (typeof v !== "number") throw new Error(`trace.data: no number at [${at.join(", ")}]`);
  return v;
}

/**
 * The 2-2-2 network as each part of the concepts page draws it: which neurons and connections that
 * part computes (with their values) and which it reads, all taken from the trace.
 */
export function networkStages(trace: StepTrace): Record<StageId, NetworkStage> {
  const [hidden, output] = trace.layers;
  if (!hidden || !output) throw new Error("trace.data: the reference model should have two layers");
  const x = firstRow(trace.input);
  const target = firstRow(trace.target);
  const row = (v: NestedArray | undefined): number[] => firstRow(v);
  const param = (id: EdgeId, key: "before" | "gradient" | "after"): number => {
    const e = EDGES[id];
    const p = trace.layers[e.layer]?.params[e.param];
    if (!p) throw new Error(`trace.data: layer ${e.layer} has no parameter ${e.param}`);
    return entry(p[key], e.at);
  };
  const mark = (state: DiagramMark["state"], quantity: string, value: number): DiagramMark => ({ state, quantity, value });
  const edges = (ids: readonly EdgeId[], state: DiagramMark["state"], key: "before" | "gradient" | "after", quantity: string) =>
    Object.fromEntries(ids.map((id) => [id, mark(state, quantity, param(id, key))]));
  const pair = (ids: readonly [NodeId, NodeId], state: DiagramMark["state"], quantity: string, values: readonly number[]) =>
    Object.fromEntries(ids.map((id, i) => [id, mark(state, quantity, values[i] as number)]));
  const toHidden: EdgeId[] = ["w1", "w2", "w3", "w4", "b1h1", "b1h2"];
  const toOutput: EdgeId[] = ["w5", "w6", "w7", "w8", "b2o1", "b2o2"];
  const hOut = row(hidden.output);
  const oOut = row(output.output);
  const oDelta = row(output.delta);
  const hDelta = row(hidden.delta);
  const errors = oOut.map((o, k) => 0.5 * ((target[k] as number) - o) ** 2);
  const stages: Record<StageId, Omit<NetworkStage, "id">> = {
    network: {
      title: "The network: inputs and starting weights",
      caption: "The inputs and every weight and bias before the step.",
      nodes: pair(["i1", "i2"], "used", "x", x),
      edges: { ...edges(toHidden, "used", "before", "w"), ...edges(toOutput, "used", "before", "w") },
    },
    "forward-hidden": {
      title: "Forward pass: the hidden layer",
      caption: "Each hidden neuron's out = σ(net), from the inputs, its weights and its bias.",
      nodes: { ...pair(["i1", "i2"], "used", "x", x), ...pair(["h1", "h2"], "computed", "out", hOut) },
      edges: edges(toHidden, "used", "before", "w"),
    },
    "forward-output": {
      title: "Forward pass: the output layer",
      caption: "Each output neuron's out = σ(net), from the hidden outputs, its weights and its bias.",
      nodes: { ...pair(["h1", "h2"], "used", "out", hOut), ...pair(["o1", "o2"], "computed", "out", oOut) },
      edges: edges(toOutput, "used", "before", "w"),
    },
    loss: {
      title: "The loss",
      caption: `Each output's error ½(t − out)², against its target (t₁ = ${n10(target[0] as number)}, t₂ = ${n10(target[1] as number)}); they add up to E = ${n10(trace.loss)}.`,
      nodes: pair(["o1", "o2"], "computed", "E", errors),
      edges: {},
    },
    "output-deltas": {
      title: "Backward pass: the output layer",
      caption: "Each output neuron's δ = (out − t)·out(1 − out), then each of its weights' gradient δ·(the input it carries).",
      nodes: { ...pair(["h1", "h2"], "used", "out", hOut), ...pair(["o1", "o2"], "computed", "δ", oDelta) },
      edges: edges(toOutput, "computed", "gradient", "∂E/∂w"),
    },
    "hidden-deltas": {
      title: "Backward pass: the hidden layer",
      caption: "The output deltas flow back along the old weights w5…w8 to give each hidden δ, then the gradients of w1…w4 and b1.",
      nodes: {
        ...pair(["i1", "i2"], "used", "x", x),
        ...pair(["h1", "h2"], "computed", "δ", hDelta),
        ...pair(["o1", "o2"], "used", "δ", oDelta),
      },
      edges: { ...edges(toHidden, "computed", "gradient", "∂E/∂w"), ...edges(["w5", "w6", "w7", "w8"], "used", "before", "w") },
    },
    update: {
      title: "The update",
      caption: `Every weight and bias after w ← w − η·∂E/∂w (η = ${n10(trace.optimizer.learningRate)}): E goes from ${n10(trace.loss)} to ${n10(trace.lossAfter)}.`,
      nodes: {},
      edges: { ...edges(toHidden, "computed", "after", "w′"), ...edges(toOutput, "computed", "after", "w′") },
    },
  };
  return Object.fromEntries(STAGES.map((id) => [id, { id, ...stages[id] }])) as Record<StageId, NetworkStage>;
}

/** Up to 10 significant digits, as the page prints numbers. */
const n10 = (v: number): string => String(Number(v.toPrecision(10)));

export default {
  load(): TraceData {
    const run = (frozenBias: boolean): StepTrace => {
      const { model, x, y } = referenceModel({ frozenBias });
      return model.traceStep(x, y);
    };
    const updated = run(false);
    const frozen = run(true);
    const maxDifference = Math.max(
      compare(updated, referenceExample.biasesUpdated),
      compare(frozen, referenceExample.biasesFrozen),
    );
    return { updated, frozen, published: referenceExample, maxDifference, diagram: networkStages(updated) };
  },
};
