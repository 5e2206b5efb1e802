// Runs the reference step through the built @backprop/layers when the site is built, so the
// worked example on the concepts page shows the library's own numbers.
import { referenceExample, referenceModel, type StepTrace } from "@backprop/layers";
import { rowsOf, type NestedArray } from "@backprop/linalg";

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
    return { updated, frozen, published: referenceExample, maxDifference };
  },
};
