// The 2-2-2 network of the concepts page: its neurons and connections, and the shape of one
// "stage" (the quantities one part of the page computes). Plain data, no Vue: the data loader
// (src/guide/trace.data.ts) fills the stages from the trace, network-diagram.ts draws them.

/** The neurons of the 2-2-2 network: inputs, hidden, outputs, and the two bias units. */
export type NodeId = "i1" | "i2" | "h1" | "h2" | "o1" | "o2" | "b1" | "b2";
/** Its connections: Mazur's w1…w8, and each neuron's bias (the library gives each neuron its own). */
export type EdgeId = "w1" | "w2" | "w3" | "w4" | "w5" | "w6" | "w7" | "w8" | "b1h1" | "b1h2" | "b2o1" | "b2o2";

/** Where each connection runs, and its place in the library's parameters: `params[param]` of `layer`, `[row][col]` or `[col]` for a bias. */
export const EDGES: Readonly<Record<EdgeId, { from: NodeId; to: NodeId; layer: 0 | 1; param: 0 | 1; at: readonly number[] }>> = {
  w1: { from: "i1", to: "h1", layer: 0, param: 0, at: [0, 0] },
  w2: { from: "i2", to: "h1", layer: 0, param: 0, at: [1, 0] },
  w3: { from: "i1", to: "h2", layer: 0, param: 0, at: [0, 1] },
  w4: { from: "i2", to: "h2", layer: 0, param: 0, at: [1, 1] },
  w5: { from: "h1", to: "o1", layer: 1, param: 0, at: [0, 0] },
  w6: { from: "h2", to: "o1", layer: 1, param: 0, at: [1, 0] },
  w7: { from: "h1", to: "o2", layer: 1, param: 0, at: [0, 1] },
  w8: { from: "h2", to: "o2", layer: 1, param: 0, at: [1, 1] },
  b1h1: { from: "b1", to: "h1", layer: 0, param: 1, at: [0] },
  b1h2: { from: "b1", to: "h2", layer: 0, param: 1, at: [1] },
  b2o1: { from: "b2", to: "o1", layer: 1, param: 1, at: [0] },
  b2o2: { from: "b2", to: "o2", layer: 1, param: 1, at: [1] },
};

/** A highlighted element of a diagram: computed in this part of the step, or used by it. */
export interface DiagramMark {
  readonly state: "computed" | "used";
  /** What the value is: `x`, `out`, `E`, `δ`, `w`, `∂E/∂w`, `w′`. */
  readonly quantity: string;
  readonly value: number;
}

/** The network as one part of the page draws it: elements not listed are drawn dimmed. */
export interface NetworkStage {
  readonly id: StageId;
  readonly title: string;
  /** One sentence under the drawing: what is computed from what. */
  readonly caption: string;
  readonly nodes: Readonly<Partial<Record<NodeId, DiagramMark>>>;
  readonly edges: Readonly<Partial<Record<EdgeId, DiagramMark>>>;
}

/** The parts of the concepts page, in order. */
export const STAGES = ["network", "forward-hidden", "forward-output", "loss", "output-deltas", "hidden-deltas", "update"] as const;
export type StageId = (typeof STAGES)[number];
