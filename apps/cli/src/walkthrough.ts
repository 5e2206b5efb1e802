import { referenceExample, referenceModel, type StepTrace } from "@backprop/layers";
import { Tensor, type DType, type NestedArray } from "@backprop/linalg";
import { renderTable } from "./table.js";

/** Options of the walkthrough command. */
export interface WalkthroughOptions {
  readonly frozenBias: boolean;
  readonly steps: number;
  readonly dtype: DType;
}

const num = (v: number): string => (Number.isFinite(v) ? v.toFixed(15) : String(v));

/**
 * Runs the reference example through the library and renders its first step next to the
 * published numbers, then (with `steps > 1`) the error of each further step.
 */
export function walkthrough(options: WalkthroughOptions): string {
  const { model, x, y } = referenceModel({ dtype: options.dtype, frozenBias: options.frozenBias });
  const expected = options.frozenBias ? referenceExample.biasesFrozen : referenceExample.biasesUpdated;
  const trace: StepTrace = model.traceStep(x, y);
  const [hidden, output] = trace.layers;
  if (!hidden || !output) throw new Error("walkthrough: the reference model has two layers");
  const [hk, hb] = hidden.params;
  const [ok, ob] = output.params;
  const rows: string[][] = [["stage", "quantity", "backprop", "reference", "|diff|"]];
  let worst = 0;
  const add = (stage: string, name: string, got: number, want: number) => {
    const diff = Math.abs(got - want);
    worst = Math.max(worst, diff);
    rows.push([stage, name, num(got), num(want), diff.toExponential(1)]);
  };
  // Element (i, j) of a traced value's 2-D view: one row per sample, or a kernel; a bias is one row.
  const at = (v: NestedArray | undefined, i: number, j: number) => {
    const m = v === undefined ? undefined : Tensor.fromArray(v).asMatrix();
    return m && i < m.rows && j < m.cols ? m.get(i, j) : Number.NaN;
  };
  const pair = (stage: string, names: [string, string], got: NestedArray | undefined, want: readonly number[]) =>
    names.forEach((n, j) => add(stage, n, at(got, 0, j), want[j] ?? Number.NaN));

  pair("forward", ["net h1", "net h2"], hidden.preActivation, expected.hiddenNet);
  pair("forward", ["out h1", "out h2"], hidden.output, expected.hiddenOut);
  pair("forward", ["net o1", "net o2"], output.preActivation, expected.outputNet);
  pair("forward", ["out o1", "out o2"], output.output, expected.output);
  add("error", "E_total = ½Σ(t − o)²", trace.loss, expected.totalError);
  pair("error", ["∂E/∂out o1", "∂E/∂out o2"], output.outputGradient, expected.outputError);
  pair("backward", ["δ o1", "δ o2"], output.delta, expected.outputDelta);
  pair("backward", ["δ h1", "δ h2"], hidden.delta, expected.hiddenDelta);
  // Mazur's names: w1..w4 feed the hidden layer, w5..w8 the output layer; kernels are in×out.
  const weights = (stage: string, names: string[], kernel: NestedArray | undefined, bias: NestedArray | undefined, want: readonly (readonly number[])[]) => {
    [0, 1].forEach((unit) => {
      add(stage, names[unit * 2] ?? "", at(kernel, 0, unit), want[unit]?.[0] ?? Number.NaN);
      add(stage, names[unit * 2 + 1] ?? "", at(kernel, 1, unit), want[unit]?.[1] ?? Number.NaN);
      add(stage, `bias → ${unit === 0 ? names[4] : names[5]}`, at(bias, 0, unit), want[unit]?.[2] ?? Number.NaN);
    });
  };
  weights("update", ["w5", "w6", "w7", "w8", "o1", "o2"], ok?.after, ob?.after, expected.outputWeightsAfter);
  weights("update", ["w1", "w2", "w3", "w4", "h1", "h2"], hk?.after, hb?.after, expected.hiddenWeightsAfter);
  add("after", "E_total after the step", trace.lossAfter, expected.totalErrorAfter);

  const lines = [
    `Reference example: 2-2-2 sigmoid network, ½·Σ squared error, SGD lr ${trace.optimizer.learningRate}, ${options.dtype}, biases ${options.frozenBias ? "frozen (original article)" : "updated"}`,
    `inputs ${JSON.stringify(referenceExample.inputs)} → targets ${JSON.stringify(referenceExample.targets)}`,
    "",
    renderTable(rows, ["left", "left", "right", "right", "right"]),
    "",
    `largest difference from the reference: ${worst.toExponential(2)}`,
  ];
  if (options.steps > 1) {
    const errors: string[][] = [["step", "E_total before", "E_total after"]];
    errors.push(["1", num(trace.loss), num(trace.lossAfter)]);
    for (let s = 2; s <= options.steps; s++) {
      const before = model.trainOnBatch(x, y);
      const after = model.evaluate(x, y)["loss"] ?? Number.NaN;
      errors.push([String(s), num(before), num(after)]);
    }
    lines.push("", renderTable(errors, ["right", "right", "right"]));
  }
  return lines.join("\n");
}
