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
 * The original article's figures after 10 000 steps (biases frozen), as published: "the error
 * plummets to 0.0000351085 … the two output neurons generate 0.015912196 (vs 0.01 target) and
 * 0.984065734 (vs 0.99 target)".
 *
 * NOTE: they do not all come from one computation. The error is that of correct backpropagation
 * after 9 999 steps (0.00003510854812; after 10 000 it is 0.00003510187783). The outputs are those
 * of an earlier version of the article's script (github.com/mattm/simple-neural-network before
 * commit 4b6faac, "hidden layer weight updates use original weights"), which computed the hidden
 * deltas with the output weights already updated: after 10 000 steps it gives 0.0159121963 and
 * 0.9840657345, and ½Σ(t − o)² of those outputs is 0.0000350848, not the published error.
 * @see https://mattmazur.com/2015/03/17/a-step-by-step-backpropagation-example/
 */
const ARTICLE_AFTER_10000 = { steps: 10_000, error: 0.0000351085, outputs: [0.015912196, 0.984065734] } as const;

/**
 * Runs the reference example through the library and renders its first step next to the
 * published numbers, then (with `steps > 1`) the error of each further step, and last the
 * network's outputs after the last step next to the targets — and after 10 000 steps, next to
 * the figures the original article reports there.
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
  lines.push("", ...finalOutputs(Array.from(model.predict(x).data), model.evaluate(x, y)["loss"] ?? Number.NaN, options));
  return lines.join("\n");
}

/** The outputs and error after the last step, next to the targets (and the article's figures after 10 000 steps). */
function finalOutputs(outputs: readonly number[], error: number, options: WalkthroughOptions): string[] {
  const steps = `${options.steps} step${options.steps === 1 ? "" : "s"}`;
  const targets = referenceExample.targets;
  const article = options.steps === ARTICLE_AFTER_10000.steps && options.frozenBias ? ARTICLE_AFTER_10000 : undefined;
  const rows: string[][] = [["quantity", "backprop", "target", ...(article ? ["article", "|diff|"] : [])]];
  outputs.forEach((o, i) => {
    const published = article?.outputs[i];
    rows.push([`out o${i + 1}`, num(o), String(targets[i] ?? Number.NaN), ...(published === undefined ? [] : [String(published), Math.abs(o - published).toExponential(1)])]);
  });
  rows.push(["E_total", num(error), "0", ...(article ? [article.error.toFixed(10), Math.abs(error - article.error).toExponential(1)] : [])]);
  const lines = [`after ${steps} (biases ${options.frozenBias ? "frozen" : "updated"}):`, renderTable(rows, ["left", "right", "right", "right", "right"])];
  if (article) {
    lines.push(
      "",
      "The article's error is ours after 9 999 steps (0.000035108548123); its outputs come from an earlier",
      "version of its script, which computed the hidden deltas with the output weights already updated.",
    );
  } else if (options.steps === ARTICLE_AFTER_10000.steps) {
    lines.push("", `The article's figures after 10 000 steps (E_total ${ARTICLE_AFTER_10000.error}, outputs ${ARTICLE_AFTER_10000.outputs.join(" and ")}) are for frozen biases: add --frozen-bias.`);
  }
  return lines;
}
