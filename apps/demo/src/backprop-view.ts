/**
 * The backprop stepper: one training step of the playground's own network on a chosen data point
 * (or of the classic 2-2-2 worked example), revealed sub-step by sub-step beside a drawing of the
 * network that highlights the quantity the step is about.
 *
 * The pure part ({@link stepperStages}, {@link classicStages}, {@link networkPicture}) turns a
 * `StepTrace` into data; {@link mountBackpropView} only draws that data, so the numbers are tested
 * in Node without a DOM.
 */
import { Dense, referenceModel, type Sequential, type StepTrace } from "@backprop/layers";
import { Matrix, rowsOf, type NestedArray } from "@backprop/linalg";
import "./stepper.css";

// ---------------------------------------------------------------------------------------------
// The data of a step
// ---------------------------------------------------------------------------------------------

/** A displayed number: its key (for tests and screen readers) and its exact value. */
export interface Cell {
  /** Stable key, e.g. `"L2.net.0"` or, in the classic example, `"hiddenOut.1"`. */
  readonly key: string;
  /** The exact value, as traced. */
  readonly value: number;
}

/** One row of a {@link StageTable}: a row header and its numbers. */
export interface StageRow {
  /** Row header, e.g. `"net"` or `"h₂"`. */
  readonly label: string;
  /** One number per column. */
  readonly cells: readonly Cell[];
}

/** A table of a stage; `corner` names the row headers so that no header cell is empty. */
export interface StageTable {
  /** The caption, e.g. `"Layer 2: net and out"`. */
  readonly caption: string;
  /** Header of the row-header column, e.g. `"quantity"` or `"neuron"`. */
  readonly corner: string;
  /** Column headers. */
  readonly columns: readonly string[];
  /** The rows. */
  readonly rows: readonly StageRow[];
}

/**
 * What the drawing of the network shows at a stage. Layers are the model's Dense layers, numbered
 * from 1 (column 0 of the drawing is the inputs).
 */
export interface StagePicture {
  /** How many layers have computed their outputs (0: only the inputs are known). */
  readonly forward: number;
  /** How many layers know their δ, counted from the output. */
  readonly backward: number;
  /** How many layers show their weights after the update, counted from the input. */
  readonly updated: number;
  /** Columns (0 = inputs, k = layer k) whose neurons the stage is about. */
  readonly neurons: readonly number[];
  /** Layers whose incoming weights the stage is about. */
  readonly edges: readonly number[];
  /** Whether the targets are written beside the output neurons. */
  readonly targets: boolean;
  /** What is highlighted, in words (the drawing's accessible name). */
  readonly description: string;
}

/** One sub-step of the stepper. */
export interface Stage {
  /** The stage it belongs to ("Forward pass"); consecutive sub-steps share it. */
  readonly group: string;
  /** Its own title ("Forward: layer 2 of 3"). */
  readonly title: string;
  /** Sentences explaining the formulas. */
  readonly text: readonly string[];
  /** The numbers. */
  readonly tables: readonly StageTable[];
  /** What the drawing shows and highlights. */
  readonly picture: StagePicture;
}

/** The trace of one parameter of a Dense layer, for the first sample. */
export interface ParamStep {
  /** Value before the step: the kernel in×out, a bias one row. */
  readonly before: readonly (readonly number[])[];
  /** ∂L/∂param. */
  readonly gradient: readonly (readonly number[])[];
  /** Value after the step. */
  readonly after: readonly (readonly number[])[];
  /** Whether the optimizer could change it. */
  readonly trainable: boolean;
}

/** One Dense layer of a traced step, every vector for the first (only) sample. */
export interface DenseStep {
  /** Position in `StepTrace.layers`. */
  readonly traceIndex: number;
  /** Activation registry name, e.g. `"tanh"`. */
  readonly activation: string;
  /** in. */
  readonly input: readonly number[];
  /** net = in·W + b. */
  readonly net: readonly number[];
  /** out = f(net). */
  readonly out: readonly number[];
  /** out after the Dropout layer that follows, if one does (what the next layer receives). */
  readonly dropped?: readonly number[];
  /** ∂L/∂out. */
  readonly outputGradient: readonly number[];
  /** δ = ∂L/∂net. */
  readonly delta: readonly number[];
  /** ∂L/∂in = δ·Wᵀ (with the weights before the update). */
  readonly inputGradient: readonly number[];
  /** The kernel, in×out. */
  readonly kernel: ParamStep;
  /** The bias (one row), if the layer has one. */
  readonly bias?: ParamStep;
}

/** Options of {@link stepperStages}. */
export interface StepperOptions {
  /** Input names, e.g. `["x₁", "sin x₂"]`; default x₁, x₂, …. */
  readonly featureNames?: readonly string[];
  /**
   * f′(net, out) of each traced layer (indexed like `StepTrace.layers`), to show the f′(net) row of
   * the backward pass; absent for softmax, whose Jacobian is not elementwise.
   */
  readonly derivatives?: readonly (((net: number, out: number) => number) | undefined)[];
}

function firstRow(value: NestedArray | undefined): number[] {
  return value === undefined ? [] : (rowsOf(value)[0] ?? []);
}

function matrixOf(value: NestedArray | undefined): number[][] {
  return value === undefined ? [] : rowsOf(value);
}

const SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉";
const sub = (n: number): string => String(n).replace(/\d/g, (d) => SUBSCRIPTS[Number(d)] ?? d);

/**
 * The Dense layers of a traced step with their numbers for the first sample. Layers without
 * parameters (Dropout) are folded into the Dense layer before them.
 *
 * @throws Error when the model has a layer with parameters that is not Dense (the stepper draws
 *   fully connected networks only).
 */
export function denseSteps(trace: StepTrace): DenseStep[] {
  // NOTE: `dropped` is filled in when the Dropout after a layer is reached
  const steps: (Omit<DenseStep, "dropped"> & { dropped?: number[] })[] = [];
  trace.layers.forEach((layer, index) => {
    if (layer.className !== "dense") {
      if (layer.params.length > 0) throw new Error(`the stepper shows Dense networks; layer ${index + 1} is a ${layer.className} layer`);
      const previous = steps[steps.length - 1];
      // NOTE: a Dropout after layer k changes what layer k+1 receives, not layer k's own out
      if (previous) previous.dropped = firstRow(layer.output);
      return;
    }
    const [kernel, bias] = layer.params;
    if (!kernel) throw new Error(`layer ${index + 1} (${layer.name}) has no kernel`);
    const param = (p: typeof kernel): ParamStep => ({
      before: matrixOf(p.before),
      gradient: matrixOf(p.gradient),
      after: matrixOf(p.after),
      trainable: p.trainable,
    });
    const k = param(kernel);
    const delta = firstRow(layer.delta);
    // NOTE: computed rather than read from the layer before, because a Dropout in between records
    // no gradient and the first layer has no layer before it; it is the layer's own dx.
    const inputGradient = k.before.map((row) => row.reduce((s, w, n) => s + w * (delta[n] ?? 0), 0));
    steps.push({
      traceIndex: index,
      activation: layer.activation ?? "identity",
      input: firstRow(layer.input),
      net: firstRow(layer.preActivation ?? layer.output),
      out: firstRow(layer.output),
      outputGradient: firstRow(layer.outputGradient),
      delta,
      inputGradient,
      kernel: k,
      ...(bias ? { bias: param(bias) } : {}),
    });
  });
  return steps;
}

/** A weight table in the article's layout: one row per neuron, its incoming weights, then its bias. */
function weightTable(
  caption: string,
  key: string,
  kernel: readonly (readonly number[])[],
  bias: readonly number[] | undefined,
  neurons: readonly string[],
  inputs: readonly string[],
): StageTable {
  return {
    caption,
    corner: "neuron",
    columns: [...inputs.map((i) => `w from ${i}`), ...(bias ? ["bias"] : [])],
    rows: neurons.map((label, n) => ({
      label,
      cells: [
        ...kernel.map((row, i) => ({ key: `${key}.${n}.${i}`, value: row[n] ?? Number.NaN })),
        ...(bias ? [{ key: `${key}.${n}.${kernel.length}`, value: bias[n] ?? Number.NaN }] : []),
      ],
    })),
  };
}

const vector = (key: string, values: readonly number[]): Cell[] => values.map((value, i) => ({ key: `${key}.${i}`, value }));

/** The formula of an activation, in words a reader of the forward pass can follow. */
function activationFormula(name: string): string {
  switch (name) {
    case "sigmoid":
      return "out = σ(net) = 1 / (1 + e^(−net))";
    case "tanh":
      return "out = tanh(net)";
    case "relu":
      return "out = max(0, net)";
    case "identity":
    case "linear":
      return "out = net (no activation)";
    case "softmax":
      return "out = softmax(net) = e^net / Σ e^net (the outputs sum to 1)";
    default:
      return `out = ${name}(net)`;
  }
}

/** The loss and its gradient per output, for the losses the playground uses. */
function lossFormula(name: string): string {
  switch (name) {
    case "binaryCrossentropy":
      return "L = −[y·ln(out) + (1 − y)·ln(1 − out)], so ∂L/∂out = (out − y) / (out·(1 − out)).";
    case "categoricalCrossentropy":
      return "L = −Σ y·ln(out), so ∂L/∂out = −y / out for each output.";
    case "meanSquaredError":
      return "L = mean of (out − y)² over the outputs, so ∂L/∂out = 2·(out − y) / (number of outputs).";
    case "halfSumSquaredError":
      return "E = ½·Σ(y − out)², so ∂E/∂out = out − y.";
    default:
      return `L = ${name}(out, y); ∂L/∂out is its gradient for each output.`;
  }
}

/** How the optimizer turns the gradient into the update, as far as one first step shows it. */
function optimizerFormula(name: string, lr: number): string {
  switch (name) {
    case "sgd":
      return `SGD: W ← W − lr·∂L/∂W with lr = ${lr} (momentum, when on, adds a share of earlier steps; this model starts fresh, so there are none).`;
    case "adam":
      return `Adam (lr = ${lr}): W ← W − lr·m̂ / (√v̂ + ε), with m and v running averages of the gradient and its square. On this first step m̂ / √v̂ ≈ ±1, so each weight moves by about lr against its gradient's sign.`;
    default:
      return `${name} (lr = ${lr}) turns each gradient into a step with its own running statistics; on this first step they hold only this gradient.`;
  }
}

/** Whether a gradient differs from inᵀ·δ: then it also carries the weight penalty's share. */
function hasPenalty(step: DenseStep): boolean {
  let scale = 0;
  let diff = 0;
  step.kernel.gradient.forEach((row, i) =>
    row.forEach((g, n) => {
      const plain = (step.input[i] ?? 0) * (step.delta[n] ?? 0);
      scale = Math.max(scale, Math.abs(g), Math.abs(plain));
      diff = Math.max(diff, Math.abs(g - plain));
    }),
  );
  return diff > 1e-9 * Math.max(scale, 1e-12);
}

/** The signature of a traced network: layer types, widths and activations, the inputs and the loss. */
export function architectureOf(trace: StepTrace): string {
  const layers = trace.layers.map((l) => `${l.className}:${l.activation ?? ""}:${firstRow(l.output).length}`);
  return `${firstRow(trace.input).length}|${layers.join("|")}|${trace.lossName}`;
}

/**
 * The sub-steps of one traced training step of a Dense network, in the order the stepper reveals
 * them: Start (the point), Forward layer by layer (net = W·in + b, out = f(net)), Loss and ∂L/∂out,
 * Backward layer by layer from the output (δ = ∂L/∂out ⊙ f′(net), ∂L/∂W = inᵀ·δ, ∂L/∂in = δ·Wᵀ),
 * and Update layer by layer (W before, gradient, after). Every number is the trace's own.
 *
 * Keys: `input.i`, `target.j`, `L{k}.in.i`, `L{k}.W.n.i`, `L{k}.net.n`, `L{k}.out.n`,
 * `L{k}.dropped.n`, `prediction.j`, `loss`, `L{k}.outGrad.n`, `L{k}.fprime.n`, `L{k}.delta.n`,
 * `L{k}.grad.n.i`, `L{k}.inGrad.i`, `L{k}.after.n.i`, `lossAfter` (k counts Dense layers from 1;
 * weight tables have one row n per neuron and the bias in the last column).
 *
 * @example
 * ```ts
 * const stages = stepperStages(model.traceStep(x, y), { featureNames: ["x₁", "x₂"] });
 * stages.map((s) => s.title); // ["The data point", "Forward: layer 1 of 2", …]
 * ```
 */
export function stepperStages(trace: StepTrace, options: StepperOptions = {}): Stage[] {
  const layers = denseSteps(trace);
  const count = layers.length;
  const input = firstRow(trace.input);
  const target = firstRow(trace.target);
  const inputNames = input.map((_, i) => options.featureNames?.[i] ?? `x${sub(i + 1)}`);
  const neuronNames = (k: number): string[] =>
    (layers[k - 1]?.out ?? []).map((_, n) => (k === count ? `o${sub(n + 1)}` : `h${sub(n + 1)}`));
  const inNames = (k: number): string[] => (k === 1 ? inputNames : neuronNames(k - 1));
  const layerName = (k: number): string => (k === count ? `layer ${k} (output)` : `layer ${k}`);
  const sizes = [input.length, ...layers.map((l) => l.out.length)].join("–");
  const { name: optName, learningRate: lr } = trace.optimizer;
  const picture = (p: Omit<StagePicture, "targets"> & { targets?: boolean }): StagePicture => ({ targets: false, ...p });

  const stages: Stage[] = [
    {
      group: "Start",
      title: "The data point",
      text: [
        `A ${sizes} network (${layers.map((l) => l.activation).join(", ")}), loss ${trace.lossName}, optimizer ${optName} with learning rate ${lr}.`,
        "One training step on this one point: forward, loss, backward, update. The weights are the playground's at the moment you picked the point; stepping does not change the playground.",
      ],
      tables: [
        {
          caption: "Input features and target",
          corner: "quantity",
          columns: inputNames,
          rows: [{ label: "input x", cells: vector("input", input) }],
        },
        {
          caption: "Target",
          corner: "quantity",
          columns: target.map((_, j) => `o${sub(j + 1)}`),
          rows: [{ label: "target y", cells: vector("target", target) }],
        },
      ],
      picture: picture({ forward: 0, backward: 0, updated: 0, neurons: [0], edges: [], description: `The ${input.length} inputs of the point are highlighted.` }),
    },
  ];

  layers.forEach((layer, i) => {
    const k = i + 1;
    const rows: StageRow[] = [
      { label: "net", cells: vector(`L${k}.net`, layer.net) },
      { label: "out", cells: vector(`L${k}.out`, layer.out) },
    ];
    if (layer.dropped) rows.push({ label: "after dropout", cells: vector(`L${k}.dropped`, layer.dropped) });
    stages.push({
      group: "Forward pass",
      title: `Forward: ${layerName(k)} of ${count}`,
      text: [
        `net = W·in + b: each neuron of ${layerName(k)} adds its inputs times their weights, plus its bias. Then ${activationFormula(layer.activation)}.`,
        ...(layer.dropped ? ["Dropout (training mode) then zeroes some outputs and scales the others up; the next layer receives the row “after dropout”."] : []),
      ],
      tables: [
        { caption: `${k === 1 ? "Inputs" : `Layer ${k - 1} outputs`}: in`, corner: "quantity", columns: inNames(k), rows: [{ label: "in", cells: vector(`L${k}.in`, layer.input) }] },
        weightTable(`Layer ${k}: weights W and bias b`, `L${k}.W`, layer.kernel.before, layer.bias?.before[0], neuronNames(k), inNames(k)),
        { caption: `Layer ${k}: net and out`, corner: "quantity", columns: neuronNames(k), rows },
      ],
      picture: picture({
        forward: k,
        backward: 0,
        updated: 0,
        neurons: [k],
        edges: [k],
        description: `Forward pass into ${layerName(k)}: its ${layer.out.length} neurons and their incoming weights are highlighted; each neuron shows its out.`,
      }),
    });
  });

  const last = layers[count - 1];
  if (last) {
    stages.push({
      group: "Loss",
      title: "Loss and ∂L/∂out",
      text: [
        lossFormula(trace.lossName),
        "∂L/∂out says how the loss changes with each output: it is what the backward pass sends back. (With L1/L2 regularization the loss also includes the weights' penalty.)",
      ],
      tables: [
        {
          caption: "Prediction, target and ∂L/∂out",
          corner: "quantity",
          columns: neuronNames(count),
          rows: [
            { label: "out", cells: vector("prediction", last.out) },
            { label: "target y", cells: vector("target", target) },
            { label: "∂L/∂out", cells: vector(`L${count}.outGrad`, last.outputGradient) },
          ],
        },
        { caption: "Loss", corner: "quantity", columns: ["value"], rows: [{ label: `loss L (${trace.lossName})`, cells: [{ key: "loss", value: trace.loss }] }] },
      ],
      picture: picture({
        forward: count,
        backward: 0,
        updated: 0,
        neurons: [count],
        edges: [],
        targets: true,
        description: `The ${last.out.length} output neurons are highlighted, with their targets beside them.`,
      }),
    });
  }

  for (let k = count; k >= 1; k--) {
    const layer = layers[k - 1] as DenseStep;
    const derivative = options.derivatives?.[layer.traceIndex];
    const softmax = layer.activation === "softmax";
    const rows: StageRow[] = [{ label: "∂L/∂out", cells: vector(`L${k}.outGrad`, layer.outputGradient) }];
    if (derivative && !softmax) rows.push({ label: "f′(net)", cells: vector(`L${k}.fprime`, layer.net.map((x, n) => derivative(x, layer.out[n] ?? Number.NaN))) });
    rows.push({ label: "δ", cells: vector(`L${k}.delta`, layer.delta) });
    const fromNext = k === count ? "the loss" : layer.dropped ? `layer ${k + 1} (through the dropout mask)` : `layer ${k + 1}`;
    stages.push({
      group: "Backward pass",
      title: `Backward: ${layerName(k)}`,
      text: [
        `∂L/∂out comes from ${fromNext}. ` +
          (softmax
            ? "Softmax mixes its outputs, so δ = ∂L/∂net is the softmax Jacobian times ∂L/∂out (with cross-entropy this is simply out − y)."
            : `δ = ∂L/∂out ⊙ f′(net) with f = ${layer.activation}: how fast the loss changes with each neuron's net.`),
        `∂L/∂W = inᵀ·δ: the weight from input i to neuron n gets in_i·δ_n; ∂L/∂b = δ.${hasPenalty(layer) ? " These gradients also carry the L1/L2 penalty's share." : ""}`,
        k > 1
          ? `∂L/∂in = δ·Wᵀ (with the weights before the update) is sent back to layer ${k - 1}.`
          : "∂L/∂in = δ·Wᵀ is the gradient with respect to the input features: nothing is updated with it, the backward pass ends here.",
      ],
      tables: [
        { caption: `Layer ${k}: ∂L/∂out and δ`, corner: "quantity", columns: neuronNames(k), rows },
        weightTable(`Layer ${k}: ∂L/∂W and ∂L/∂b`, `L${k}.grad`, layer.kernel.gradient, layer.bias?.gradient[0], neuronNames(k), inNames(k)),
        { caption: `∂L/∂in, sent to ${k > 1 ? `layer ${k - 1}` : "the inputs"}`, corner: "quantity", columns: inNames(k), rows: [{ label: "∂L/∂in", cells: vector(`L${k}.inGrad`, layer.inputGradient) }] },
      ],
      picture: picture({
        forward: count,
        backward: count - k + 1,
        updated: 0,
        neurons: [k],
        edges: [k],
        description: `Backward pass through ${layerName(k)}: its neurons (labelled with δ) and their incoming weights, whose gradients are inᵀ·δ, are highlighted.`,
      }),
    });
  }

  layers.forEach((layer, i) => {
    const k = i + 1;
    const frozen = [!layer.kernel.trainable ? "the weights" : "", layer.bias && !layer.bias.trainable ? "the biases" : ""].filter(Boolean);
    const tables: StageTable[] = [
      weightTable(`Layer ${k}: before`, `L${k}.W`, layer.kernel.before, layer.bias?.before[0], neuronNames(k), inNames(k)),
      weightTable(`Layer ${k}: gradient ∂L/∂W`, `L${k}.grad`, layer.kernel.gradient, layer.bias?.gradient[0], neuronNames(k), inNames(k)),
      weightTable(`Layer ${k}: after (${optName})`, `L${k}.after`, layer.kernel.after, layer.bias?.after[0], neuronNames(k), inNames(k)),
    ];
    if (k === count) {
      tables.push({
        caption: "Loss on this point",
        corner: "quantity",
        columns: ["value"],
        rows: [
          { label: "before the step", cells: [{ key: "loss", value: trace.loss }] },
          { label: "after the step", cells: [{ key: "lossAfter", value: trace.lossAfter }] },
        ],
      });
    }
    stages.push({
      group: "Update",
      title: `Update: ${layerName(k)}`,
      text: [
        optimizerFormula(optName, lr),
        "Every layer is updated at once, after the whole backward pass; they are shown one by one.",
        ...(frozen.length > 0 ? [`Frozen, unchanged: ${frozen.join(" and ")}.`] : []),
      ],
      tables,
      picture: picture({
        forward: count,
        backward: count,
        updated: k,
        neurons: [],
        edges: [k],
        description: `Update of ${layerName(k)}: its incoming weights are highlighted and drawn with their new values.`,
      }),
    });
  });
  return stages;
}

/** The stages of the classic example, in the order the view reveals them. */
export const STAGES = ["Start", "Forward pass", "Error", "Output deltas", "Hidden deltas", "Updates"] as const;

/** One traced step of the classic 2-2-2 reference network, with biases updated or frozen. */
export function traceReference(frozenBias: boolean): StepTrace {
  const { model, x, y } = referenceModel({ frozenBias });
  return model.traceStep(x, y);
}

/**
 * The six stages of the classic 2-2-2 example (Mazur's "A Step by Step Backpropagation Example"),
 * with the article's keys (`hiddenNet.0`, `output.1`, `totalError`, `outputWeightsAfter.0.0`, …),
 * whose values are the published ones.
 *
 * @example
 * ```ts
 * classicStages(traceReference(false))[1]?.tables[0]; // hidden net, hidden out, output net, output out
 * ```
 */
export function classicStages(trace: StepTrace): Stage[] {
  const [hidden, output] = denseSteps(trace);
  if (!hidden || !output) return [];
  const rowsOfLayer = (layer: DenseStep, which: "before" | "after" | "gradient"): [number[][], number[]] => [
    layer.kernel[which].map((r) => [...r]),
    [...(layer.bias?.[which][0] ?? [])],
  ];
  const weights = (caption: string, key: string, layer: DenseStep, which: "before" | "after" | "gradient", names: string[], inputs: string[]): StageTable =>
    weightTable(caption, key, ...rowsOfLayer(layer, which), names, inputs);
  const hNames = ["h₁", "h₂"];
  const oNames = ["o₁", "o₂"];
  const iNames = ["i₁", "i₂"];
  const lr = trace.optimizer.learningRate;
  const none = { forward: 0, backward: 0, updated: 0, neurons: [], edges: [], targets: false };
  return [
    {
      group: STAGES[0],
      title: STAGES[0],
      text: [`Optimizer: ${trace.optimizer.name}, learning rate ${lr}.`],
      tables: [
        {
          caption: "Inputs and targets",
          corner: "quantity",
          columns: ["1", "2"],
          rows: [
            { label: "input i", cells: vector("input", firstRow(trace.input)) },
            { label: "target t", cells: vector("target", firstRow(trace.target)) },
          ],
        },
        weights("Hidden weights", "hiddenWeights", hidden, "before", hNames, iNames),
        weights("Output weights", "outputWeights", output, "before", oNames, hNames),
      ],
      picture: { ...none, neurons: [0], description: "The inputs i₁ = 0.05 and i₂ = 0.10 are highlighted." },
    },
    {
      group: STAGES[1],
      title: STAGES[1],
      text: ["net = Σ w·in + b, out = σ(net) = 1 / (1 + e^(−net)), for the hidden layer, then the output layer."],
      tables: [
        {
          caption: "Forward pass",
          corner: "quantity",
          columns: ["1", "2"],
          rows: [
            { label: "hidden net", cells: vector("hiddenNet", hidden.net) },
            { label: "hidden out", cells: vector("hiddenOut", hidden.out) },
            { label: "output net", cells: vector("outputNet", output.net) },
            { label: "output out", cells: vector("output", output.out) },
          ],
        },
      ],
      picture: { ...none, forward: 2, neurons: [1, 2], edges: [1, 2], description: "Forward pass: the hidden and output neurons show their out." },
    },
    {
      group: STAGES[2],
      title: STAGES[2],
      text: ["E = ½·Σ(t − out)²; its derivative per output, ∂E/∂out = out − t, is the error sent backwards."],
      tables: [
        { caption: "Error", corner: "quantity", columns: ["value"], rows: [{ label: "total error E", cells: [{ key: "totalError", value: trace.loss }] }] },
        { caption: "∂E/∂out", corner: "quantity", columns: oNames, rows: [{ label: "error", cells: vector("outputError", output.outputGradient) }] },
      ],
      picture: { ...none, forward: 2, neurons: [2], targets: true, description: "The output neurons are highlighted, with their targets beside them." },
    },
    {
      group: STAGES[3],
      title: STAGES[3],
      text: ["δₒ = ∂E/∂out · out·(1 − out); each output weight's gradient is δₒ times the hidden output it multiplies."],
      tables: [
        { caption: "Output deltas", corner: "quantity", columns: oNames, rows: [{ label: "δₒ", cells: vector("outputDelta", output.delta) }] },
        weights("∂E/∂w, output layer", "outputGradient", output, "gradient", oNames, hNames),
      ],
      picture: { ...none, forward: 2, backward: 1, neurons: [2], edges: [2], description: "The output neurons show their δ; the output weights are highlighted." },
    },
    {
      group: STAGES[4],
      title: STAGES[4],
      text: ["δₕ = (Σ w·δₒ) · out·(1 − out): the output deltas flow back through the output weights."],
      tables: [
        { caption: "Hidden deltas", corner: "quantity", columns: hNames, rows: [{ label: "δₕ", cells: vector("hiddenDelta", hidden.delta) }] },
        weights("∂E/∂w, hidden layer", "hiddenGradient", hidden, "gradient", hNames, iNames),
      ],
      picture: { ...none, forward: 2, backward: 2, neurons: [1], edges: [1], description: "The hidden neurons show their δ; the hidden weights are highlighted." },
    },
    {
      group: STAGES[5],
      title: STAGES[5],
      text: [`w ← w − η·∂E/∂w with η = ${lr}; every weight changes at once.`],
      tables: [
        weights("Output weights after", "outputWeightsAfter", output, "after", oNames, hNames),
        weights("Hidden weights after", "hiddenWeightsAfter", hidden, "after", hNames, iNames),
        { caption: "Error after the step", corner: "quantity", columns: ["value"], rows: [{ label: "total error E", cells: [{ key: "totalErrorAfter", value: trace.lossAfter }] }] },
      ],
      picture: { ...none, forward: 2, backward: 2, updated: 2, edges: [1, 2], description: "Every weight is drawn with its value after the update." },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The drawing, as data
// ---------------------------------------------------------------------------------------------

/** A neuron of the drawing. */
export interface PictureNeuron {
  /** 0 = inputs, k = layer k. */
  readonly column: number;
  /** Position in its column. */
  readonly index: number;
  /** Centre, in SVG user units. */
  readonly x: number;
  /** Centre, in SVG user units. */
  readonly y: number;
  /** Its name, e.g. `"h₃"` or a feature name. */
  readonly name: string;
  /** Its out (an input's value) once computed at this stage. */
  readonly value?: number;
  /** Its δ once the backward pass has reached it. */
  readonly delta?: number;
  /** Its target, for an output neuron once the loss is shown. */
  readonly target?: number;
  /** Whether the stage is about it. */
  readonly highlighted: boolean;
}

/** An edge (a weight) of the drawing. */
export interface PictureEdge {
  /** The layer the weight belongs to (1-based). */
  readonly layer: number;
  /** Index of the input neuron. */
  readonly from: number;
  /** Index of the neuron it feeds. */
  readonly to: number;
  /** The weight shown: before the step, or after it once the layer is updated. */
  readonly weight: number;
  /** Whether `weight` is the updated value. */
  readonly updated: boolean;
  /** Whether the stage is about it. */
  readonly highlighted: boolean;
}

/** The drawing of a network at a stage. */
export interface Picture {
  /** viewBox width. */
  readonly width: number;
  /** viewBox height. */
  readonly height: number;
  /** Column titles and their x. */
  readonly columns: readonly { readonly x: number; readonly title: string }[];
  /** The neurons. */
  readonly neurons: readonly PictureNeuron[];
  /** The edges. */
  readonly edges: readonly PictureEdge[];
  /** The largest |weight| shown, which sets the edge widths. */
  readonly maxWeight: number;
  /** Neuron radius. */
  readonly radius: number;
}

const LAYOUT = { columnGap: 150, rowGap: 64, radius: 24, left: 78, right: 92, top: 38, bottom: 22 } as const;

/**
 * Lays out the network of a traced step and says, for a stage's {@link StagePicture}, which value
 * each neuron shows, which weight each edge shows, and what is highlighted.
 */
export function networkPicture(
  layers: readonly DenseStep[],
  inputs: readonly number[],
  targets: readonly number[],
  inputNames: readonly string[],
  stage: StagePicture,
): Picture {
  const count = layers.length;
  const sizes = [inputs.length, ...layers.map((l) => l.out.length)];
  const tallest = Math.max(1, ...sizes);
  const height = LAYOUT.top + LAYOUT.bottom + tallest * LAYOUT.rowGap;
  const width = LAYOUT.left + LAYOUT.right + Math.max(1, sizes.length - 1) * LAYOUT.columnGap;
  const xOf = (column: number): number => LAYOUT.left + column * LAYOUT.columnGap;
  const yOf = (column: number, index: number): number =>
    LAYOUT.top + ((tallest - (sizes[column] ?? 0)) / 2 + index + 0.5) * LAYOUT.rowGap;
  const neurons: PictureNeuron[] = [];
  sizes.forEach((size, column) => {
    const layer = layers[column - 1];
    for (let index = 0; index < size; index++) {
      const known = column === 0 || column <= stage.forward;
      const value = column === 0 ? inputs[index] : layer?.out[index];
      const hasDelta = column > 0 && column > count - stage.backward;
      const target = stage.targets && column === count ? targets[index] : undefined;
      neurons.push({
        column,
        index,
        x: xOf(column),
        y: yOf(column, index),
        name: column === 0 ? (inputNames[index] ?? `x${sub(index + 1)}`) : column === count ? `o${sub(index + 1)}` : `h${sub(index + 1)}`,
        ...(known && value !== undefined ? { value } : {}),
        ...(hasDelta && layer?.delta[index] !== undefined ? { delta: layer.delta[index] } : {}),
        ...(target !== undefined ? { target } : {}),
        highlighted: stage.neurons.includes(column),
      });
    }
  });
  const edges: PictureEdge[] = [];
  let maxWeight = 0;
  layers.forEach((layer, i) => {
    const k = i + 1;
    const updated = k <= stage.updated;
    const kernel = updated ? layer.kernel.after : layer.kernel.before;
    kernel.forEach((row, from) =>
      row.forEach((weight, to) => {
        maxWeight = Math.max(maxWeight, Math.abs(weight));
        edges.push({ layer: k, from, to, weight, updated, highlighted: stage.edges.includes(k) });
      }),
    );
  });
  const columns = sizes.map((_, column) => ({
    x: xOf(column),
    title: column === 0 ? "inputs" : `${column === count ? "output" : `layer ${column}`} · ${layers[column - 1]?.activation ?? ""}`,
  }));
  return { width, height, columns, neurons, edges, maxWeight, radius: LAYOUT.radius };
}

// ---------------------------------------------------------------------------------------------
// Number formats
// ---------------------------------------------------------------------------------------------

/** The classic example's format: up to 9 decimals, as the article prints them. */
export function formatFull(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(9).replace(/0+$/, "").replace(/\.$/, "");
}

/** About 4 significant digits, exponent for very small or large magnitudes: `0.7514`, `-3.81e-5`. */
export function formatShort(v: number, digits = 4): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(digits - 1).replace(/\.?0+e/, "e");
  return String(Number(v.toPrecision(digits)));
}

// ---------------------------------------------------------------------------------------------
// The view
// ---------------------------------------------------------------------------------------------

/** What the stepper needs from the page. */
export interface StepperSource {
  /**
   * A fresh Sequential (built, compiled with the page's loss and optimizer) holding the
   * playground's current weights, or undefined when nothing is trained now. Each call returns a
   * new model: tracing a step must not change the playground.
   */
  model(): Sequential | undefined;
  /**
   * The training points with their feature vectors and targets as the model sees them (targets:
   * one-hot rows for multiclass, [label] for binary/regression), plus display info.
   */
  points(): readonly { readonly x: readonly number[]; readonly y: readonly number[]; readonly label: string; readonly coords: readonly [number, number] }[];
  /** Names of the input features as shown on the page (e.g. "x₁", "sin x₂"). */
  featureNames(): readonly string[];
}

/** What {@link mountBackpropView} returns. */
export interface BackpropView {
  /**
   * Call when the playground's network changes, and when a new network's first weights arrive: the
   * stepper traces `source.model()` (or says nothing is trained while it has none), keeping its
   * position when the architecture is the same.
   */
  refresh(): void;
}

type Mode = "user" | "classic";

/** How many points the picker lists (a random pick beyond them is added to the list). */
const LISTED_POINTS = 50;

const SVG_NS = "http://www.w3.org/2000/svg";

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: { className?: string; id?: string; text?: string } = {}): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.className) e.className = props.className;
  if (props.id) e.id = props.id;
  if (props.text !== undefined) e.textContent = props.text;
  return e;
}

function svg(tag: string, attrs: Readonly<Record<string, string | number>>, text?: string): SVGElement {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function numberSpan(cell: Cell, format: (v: number) => string): HTMLElement {
  const span = el("span", { className: "num", text: format(cell.value) });
  span.dataset["key"] = cell.key;
  span.dataset["value"] = String(cell.value);
  span.title = String(cell.value);
  return span;
}

/** A table inside a wrapper that scrolls sideways on narrow screens (made focusable only then). */
function renderTable(table: StageTable, format: (v: number) => string): HTMLElement {
  const wrap = el("div", { className: "bp-scroll bp-table" });
  wrap.dataset["label"] = table.caption;
  const t = el("table");
  t.createCaption().textContent = table.caption;
  const head = t.createTHead().insertRow();
  for (const [i, text] of [table.corner, ...table.columns].entries()) {
    const th = el("th", { text });
    th.scope = "col";
    if (i === 0) th.className = "corner";
    head.append(th);
  }
  const body = t.createTBody();
  for (const row of table.rows) {
    const tr = body.insertRow();
    const th = el("th", { text: row.label });
    th.scope = "row";
    tr.append(th);
    for (const cell of row.cells) tr.insertCell().append(numberSpan(cell, format));
  }
  wrap.append(t);
  return wrap;
}

/**
 * A scroll container must be reachable from the keyboard (axe `scrollable-region-focusable`), but
 * a tab stop on every table that fits would only slow keyboard users down: mark only those that
 * overflow now.
 */
function markScrollable(root: HTMLElement): void {
  for (const wrap of root.querySelectorAll<HTMLElement>(".bp-scroll")) {
    if (wrap.scrollWidth > wrap.clientWidth + 1) {
      wrap.tabIndex = 0;
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", `${wrap.dataset["label"] ?? "Table"} (scrolls sideways)`);
    } else {
      wrap.removeAttribute("tabindex");
      wrap.removeAttribute("role");
      wrap.removeAttribute("aria-label");
    }
  }
}

function drawPicture(picture: Picture, label: string): SVGElement {
  const root = svg("svg", {
    viewBox: `0 0 ${picture.width} ${picture.height}`,
    role: "img",
    "aria-label": label,
    class: "bp-network",
  });
  // NOTE: --bp-cols lets the CSS keep text readable on a phone (the drawing scrolls instead)
  root.setAttribute("style", `--bp-cols: ${picture.columns.length}`);
  const focused = picture.edges.some((e) => e.highlighted) || picture.neurons.some((n) => n.highlighted);
  const edges = svg("g", { class: "bp-edges" });
  const byColumn = (column: number, index: number): PictureNeuron | undefined => picture.neurons.find((n) => n.column === column && n.index === index);
  // highlighted edges last, so that they are drawn on top
  const ordered = [...picture.edges].sort((a, b) => Number(a.highlighted) - Number(b.highlighted));
  for (const edge of ordered) {
    const a = byColumn(edge.layer - 1, edge.from);
    const b = byColumn(edge.layer, edge.to);
    if (!a || !b) continue;
    const size = picture.maxWeight > 0 ? Math.abs(edge.weight) / picture.maxWeight : 0;
    edges.append(
      svg("line", {
        x1: a.x + picture.radius,
        y1: a.y,
        x2: b.x - picture.radius,
        y2: b.y,
        class: `bp-edge ${edge.weight < 0 ? "neg" : "pos"}${edge.highlighted ? " hl" : focused ? " dim" : ""}${edge.updated ? " updated" : ""}`,
        "stroke-width": (0.6 + 4 * size).toFixed(2),
      }),
    );
  }
  root.append(edges);
  for (const column of picture.columns) root.append(svg("text", { x: column.x, y: 16, class: "bp-col-title", "text-anchor": "middle" }, column.title));
  const nodes = svg("g", { class: "bp-neurons" });
  for (const n of picture.neurons) {
    const g = svg("g", { class: `bp-neuron${n.highlighted ? " hl" : ""}${n.value === undefined ? " unknown" : ""}` });
    g.append(svg("circle", { cx: n.x, cy: n.y, r: picture.radius }));
    g.append(svg("text", { x: n.x, y: n.y + 4, "text-anchor": "middle", class: "bp-value" }, n.value === undefined ? n.name : formatShort(n.value, 3)));
    if (n.column === 0) g.append(svg("text", { x: n.x - picture.radius - 6, y: n.y + 4, "text-anchor": "end", class: "bp-name" }, n.name));
    if (n.delta !== undefined) g.append(svg("text", { x: n.x, y: n.y + picture.radius + 12, "text-anchor": "middle", class: "bp-delta" }, `δ ${formatShort(n.delta, 3)}`));
    if (n.target !== undefined) g.append(svg("text", { x: n.x + picture.radius + 6, y: n.y + 4, class: "bp-target" }, `y = ${formatShort(n.target, 3)}`));
    nodes.append(g);
  }
  root.append(nodes);
  return root;
}

/** The f′ of each traced layer of a model, for the backward pass's f′(net) row. */
function derivativesOf(model: Sequential): (((net: number, out: number) => number) | undefined)[] {
  return model.layers.map((layer) => {
    if (!(layer instanceof Dense) || layer.activation.vector === true) return undefined;
    const activation = layer.activation;
    return (net: number, out: number): number => activation.df(net, out);
  });
}

/** The user's network, traced on one point. */
interface UserStep {
  readonly stages: Stage[];
  readonly layers: DenseStep[];
  readonly input: number[];
  readonly target: number[];
  readonly names: string[];
  readonly architecture: string;
}

/**
 * Mounts the backprop stepper into an empty element: a heading, a choice between the
 * playground's own network and the classic 2-2-2 example, a data-point picker, Previous / Next /
 * Start over, the list of stages, the drawing of the network, and the current step's numbers
 * (`.num` spans with `data-key` and the exact `data-value`).
 *
 * Ids kept for the page's tests: `#h-backprop`, `#bp-mode-user`, `#bp-mode-classic`, `#bp-point`,
 * `#bp-random`, `#bp-frozen`, `#bp-prev`, `#bp-next`, `#bp-restart`, `#bp-stages`, `#bp-status`,
 * `#bp-view`. In the classic mode every revealed stage stays on screen (as the article reads); on
 * the user's network only the current sub-step does, the drawing carrying what came before.
 *
 * @example
 * ```ts
 * const stepper = mountBackpropView(document.getElementById("backprop")!, { model, points, featureNames });
 * stepper.refresh(); // after the playground's network changed
 * ```
 */
export function mountBackpropView(root: HTMLElement, source: StepperSource): BackpropView {
  root.classList.add("bp-stepper");
  root.setAttribute("aria-labelledby", "h-backprop");

  const heading = el("h2", { id: "h-backprop", text: "Backprop, step by step" });
  const intro = el("p", {
    className: "bp-intro",
    text:
      "One training step, number by number: the forward pass, the loss, the backward pass and the update, read from the library's own trace " +
      "(Sequential.traceStep). Step through your network on a data point of your choice, or through the classic 2-2-2 worked example.",
  });

  const modes = el("fieldset", { className: "bp-modes" });
  modes.append(el("legend", { text: "Network" }));
  const radio = (value: Mode, text: string): HTMLInputElement => {
    const input = el("input", { id: `bp-mode-${value}` });
    input.type = "radio";
    input.name = "bp-mode";
    input.value = value;
    const label = el("label", { className: "bp-choice" });
    label.append(input, ` ${text}`);
    modes.append(label);
    return input;
  };
  const userRadio = radio("user", "Your network");
  const classicRadio = radio("classic", "The classic 2-2-2 example");

  const note = el("p", { className: "note", id: "bp-note" });
  note.hidden = true;

  const pointRow = el("div", { className: "bp-row bp-point" });
  const pointLabel = el("label", { text: "Data point" });
  pointLabel.htmlFor = "bp-point";
  const pointSelect = el("select", { id: "bp-point" });
  const random = el("button", { id: "bp-random", text: "Random point" });
  random.type = "button";
  pointRow.append(pointLabel, pointSelect, random);

  const frozenLabel = el("label", { className: "inline bp-check" });
  const frozen = el("input", { id: "bp-frozen" });
  frozen.type = "checkbox";
  frozenLabel.append(frozen, " Freeze biases (as the original article)");

  const controls = el("div", { className: "bp-row bp-controls" });
  controls.setAttribute("role", "group");
  controls.setAttribute("aria-label", "Step-by-step controls");
  const prev = el("button", { id: "bp-prev", text: "Previous" });
  const next = el("button", { id: "bp-next", className: "primary", text: "Start" });
  const restart = el("button", { id: "bp-restart", text: "Start over" });
  for (const b of [prev, next, restart]) b.type = "button";
  controls.append(prev, next, restart);

  const stageList = el("ol", { id: "bp-stages", className: "stages" });
  stageList.setAttribute("aria-label", "Stages");
  const status = el("p", { id: "bp-status", className: "bp-status" });
  status.setAttribute("aria-live", "polite");

  const figure = el("figure", { className: "bp-figure" });
  const drawing = el("div", { className: "bp-scroll bp-drawing" });
  drawing.dataset["label"] = "Drawing of the network";
  const legend = el("figcaption", { className: "legend" });
  const swatch = (cls: string, text: string): void => {
    const s = el("span", { className: `swatch ${cls}` });
    s.setAttribute("aria-hidden", "true");
    legend.append(s, ` ${text} `);
  };
  swatch("pos", "positive weight");
  swatch("neg", "negative weight");
  legend.append("· thicker = larger; circles show out, δ below once the backward pass reaches them; the highlighted part is what the step is about.");
  figure.append(drawing, legend);
  const view = el("div", { id: "bp-view", className: "bp-view" });
  const body = el("div", { className: "bp-body" });
  body.append(figure, view);

  root.replaceChildren(heading, intro, modes, note, pointRow, frozenLabel, controls, stageList, status, body);

  // ---- state
  let mode: Mode = "classic";
  let modeChosen = false;
  let classicTrace = traceReference(false);
  let classic = classicStages(classicTrace);
  const classicLayers = (): DenseStep[] => denseSteps(classicTrace);
  let classicShown = 0;
  let user: UserStep | undefined;
  let userShown = 0;
  let lastArchitecture: string | undefined;
  let problem: string | undefined;
  let pointIndex = 0;
  let pointCount = 0;

  const fillPoints = (points: ReturnType<StepperSource["points"]>): void => {
    pointCount = points.length;
    if (pointIndex >= points.length) pointIndex = 0;
    const listed = points.slice(0, LISTED_POINTS).map((p, i) => [p, i] as const);
    const chosen = points[pointIndex];
    if (pointIndex >= LISTED_POINTS && chosen) listed.push([chosen, pointIndex]);
    pointSelect.replaceChildren(
      ...listed.map(([p, i]) => {
        const option = el("option", { text: `#${i + 1} (${p.coords[0].toFixed(2)}, ${p.coords[1].toFixed(2)}) → ${p.label}` });
        option.value = String(i);
        return option;
      }),
    );
    pointSelect.value = String(pointIndex);
    pointSelect.disabled = points.length === 0;
    random.disabled = points.length < 2;
  };

  /** Traces the page's network on the chosen point; false when the page has no model yet. */
  const loadUser = (): boolean => {
    let model: Sequential | undefined;
    try {
      model = source.model();
    } catch (error) {
      problem = `The network cannot be built: ${error instanceof Error ? error.message : String(error)}`;
      user = undefined;
      return true;
    }
    if (!model) {
      user = undefined;
      problem = undefined;
      return false;
    }
    const points = source.points();
    fillPoints(points);
    const point = points[pointIndex];
    if (!point) {
      user = undefined;
      problem = "There are no training points to step through.";
      return true;
    }
    try {
      const x = Matrix.fromArray([[...point.x]], model.dtype);
      const y = Matrix.fromArray([[...point.y]], model.dtype);
      const trace = model.traceStep(x, y);
      const names = [...source.featureNames()];
      const stages = stepperStages(trace, { featureNames: names, derivatives: derivativesOf(model) });
      const architecture = architectureOf(trace);
      if (architecture !== lastArchitecture) userShown = 0;
      lastArchitecture = architecture;
      userShown = Math.min(userShown, stages.length);
      user = { stages, layers: denseSteps(trace), input: firstRow(trace.input), target: firstRow(trace.target), names, architecture };
      problem = undefined;
    } catch (error) {
      user = undefined;
      problem = `This step cannot be traced: ${error instanceof Error ? error.message : String(error)}`;
    }
    // the playground's network is the natural default, unless the reader already chose or started the example
    if (!modeChosen && classicShown === 0 && user) mode = "user";
    return true;
  };


  const current = (): { stages: readonly Stage[]; shown: number } =>
    mode === "classic" ? { stages: classic, shown: classicShown } : { stages: user?.stages ?? [], shown: userShown };
  const setShown = (n: number): void => {
    const { stages } = current();
    const clamped = Math.max(0, Math.min(stages.length, n));
    if (mode === "classic") classicShown = clamped;
    else userShown = clamped;
  };

  const renderSection = (stage: Stage, index: number, total: number, format: (v: number) => string): HTMLElement => {
    const section = el("section", { className: "stage" });
    section.dataset["stage"] = String(index);
    section.append(el("h3", { text: mode === "classic" ? `${index + 1}. ${stage.title}` : `Step ${index + 1} of ${total}: ${stage.title}` }));
    for (const t of stage.text) section.append(el("p", { text: t }));
    for (const t of stage.tables) section.append(renderTable(t, format));
    return section;
  };

  const render = (): void => {
    root.dataset["mode"] = mode;
    userRadio.checked = mode === "user";
    classicRadio.checked = mode === "classic";
    pointRow.hidden = mode !== "user";
    frozenLabel.hidden = mode !== "classic";
    const { stages, shown } = current();

    // the stage list: one item per stage, with the sub-step reached inside it
    const groups: { name: string; first: number; size: number }[] = [];
    stages.forEach((s, i) => {
      const g = groups[groups.length - 1];
      if (g && g.name === s.group) g.size++;
      else groups.push({ name: s.group, first: i, size: 1 });
    });
    stageList.replaceChildren(
      ...groups.map((g) => {
        const li = el("li", { text: g.name });
        const reached = Math.max(0, Math.min(g.size, shown - g.first));
        if (reached > 0) li.className = "done";
        if (shown > g.first && shown <= g.first + g.size) li.setAttribute("aria-current", "step");
        if (g.size > 1 && reached > 0) li.append(` (${reached}/${g.size})`);
        return li;
      }),
    );

    if (mode === "classic") {
      view.replaceChildren(...stages.slice(0, shown).map((s, i) => renderSection(s, i, stages.length, formatFull)));
    } else {
      const stage = stages[shown - 1];
      view.replaceChildren(...(stage ? [renderSection(stage, shown - 1, stages.length, (v) => formatShort(v))] : []));
    }

    // the drawing, at the stage reached
    const pictureOf = (stage: Stage | undefined): StagePicture =>
      stage?.picture ?? { forward: 0, backward: 0, updated: 0, neurons: [], edges: [], targets: false, description: "Before the step: the inputs and the weights." };
    const drawn =
      mode === "classic"
        ? { layers: classicLayers(), input: firstRow(classicTrace.input), target: firstRow(classicTrace.target), names: ["i₁", "i₂"] }
        : user;
    if (drawn) {
      const stage = stages[shown - 1];
      const pic = pictureOf(stage);
      const sizes = [drawn.input.length, ...drawn.layers.map((l) => l.out.length)].join("–");
      const label = `${mode === "classic" ? "The classic" : "Your"} ${sizes} network${stage ? `, ${stage.title}` : ""}. ${pic.description}`;
      const picture = networkPicture(drawn.layers, drawn.input, drawn.target, drawn.names, pic);
      drawing.replaceChildren(drawPicture(picture, label));
      figure.hidden = false;
      // on a phone the drawing scrolls: bring the part the step is about into view
      const focus = [...pic.neurons, ...pic.edges.flatMap((k) => [k - 1, k])];
      const xs = focus.map((c) => picture.columns[c]?.x).filter((x): x is number => x !== undefined);
      if (xs.length > 0 && drawing.scrollWidth > drawing.clientWidth) {
        const centre = (Math.min(...xs) + Math.max(...xs)) / 2 / picture.width;
        drawing.scrollLeft = centre * drawing.scrollWidth - drawing.clientWidth / 2;
      }
    } else {
      drawing.replaceChildren();
      figure.hidden = true;
    }

    // the note: why there is nothing to step through
    const message =
      mode !== "user"
        ? ""
        : (problem ??
          (user
            ? ""
            : "Nothing is trained right now: once the playground has a network (fix the settings above if an error shows), its step appears here. Meanwhile, try the classic example."));
    note.textContent = message;
    note.hidden = message === "";

    prev.disabled = shown === 0;
    next.disabled = stages.length === 0 || shown >= stages.length;
    restart.disabled = stages.length === 0;
    next.textContent = shown === 0 ? "Start" : shown >= stages.length ? "Done" : `Next: ${stages[shown]?.title ?? ""}`;
    const stage = stages[shown - 1];
    const said = stage ? `Step ${shown} of ${stages.length}: ${stage.title}.` : stages.length > 0 ? `${stages.length} steps; press Start.` : "";
    // NOTE: rewriting the same text would make screen readers announce it again on every refresh
    if (status.textContent !== said) status.textContent = said;
    markScrollable(root);
  };

  /** Keeps the focus on the button pressed, or on its partner when it just got disabled. */
  const keepFocus = (pressed: HTMLButtonElement): void => {
    const target = !pressed.disabled ? pressed : pressed === next ? (prev.disabled ? restart : prev) : next.disabled ? restart : next;
    if (!target.disabled) target.focus();
  };

  next.addEventListener("click", () => {
    setShown(current().shown + 1);
    render();
    keepFocus(next);
  });
  prev.addEventListener("click", () => {
    setShown(current().shown - 1);
    render();
    keepFocus(prev);
  });
  restart.addEventListener("click", () => {
    // starting over on your network takes the playground's weights as they are now
    if (mode === "user") loadUser();
    setShown(0);
    render();
    if (!next.disabled) next.focus();
  });
  frozen.addEventListener("change", () => {
    classicTrace = traceReference(frozen.checked);
    classic = classicStages(classicTrace);
    render();
  });
  for (const r of [userRadio, classicRadio]) {
    r.addEventListener("change", () => {
      if (!r.checked) return;
      mode = r.value === "user" ? "user" : "classic";
      modeChosen = true;
      if (mode === "user" && !user) loadUser();
      render();
    });
  }
  pointSelect.addEventListener("change", () => {
    pointIndex = Number(pointSelect.value);
    loadUser();
    render();
  });
  random.addEventListener("click", () => {
    if (pointCount < 2) return;
    let pick = pointIndex;
    // a different point each time, so the button visibly does something
    while (pick === pointIndex) pick = Math.floor(Math.random() * pointCount);
    pointIndex = pick;
    loadUser();
    render();
    random.focus();
  });
  if (typeof ResizeObserver !== "undefined") new ResizeObserver(() => markScrollable(root)).observe(root);
  loadUser();
  render();
  // NOTE: the page calls refresh when its network changes and when a new network's first picture
  // arrives, so the stepper never has to ask for one
  return {
    refresh(): void {
      loadUser();
      render();
    },
  };
}
