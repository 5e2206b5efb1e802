import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { NestedArray } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { referenceExample, referenceModel, type ReferenceValues } from "./reference-example.js";

/** [[w11, w21], [w12, w22]] (in×out kernel) + bias → neuron rows [w_from_1, w_from_2, bias]. */
/** A traced 2-D value (one row per sample, or a kernel) as rows of numbers. */
function rows(value: NestedArray | undefined): number[][] {
  if (!Array.isArray(value) || !value.every((r) => Array.isArray(r))) throw new Error(`expected rows of numbers, got ${JSON.stringify(value)}`);
  return value as number[][];
}

function neuronRows(kernel: number[][], bias: number[]): number[][] {
  return [0, 1].map((unit) => [kernel[0]![unit]!, kernel[1]![unit]!, bias[unit]!]);
}

const variants = [
  ["biases updated", false, referenceExample.biasesUpdated],
  ["biases frozen", true, referenceExample.biasesFrozen],
] as const;

describe.each(["float64", "float32"] as const)("the reference step-by-step example in %s", (dtype) => {
  const tol = dtype === "float64" ? 1e-12 : 1e-6;
  it.each(variants)("reproduces every number with %s", (_label, frozenBias, expected: ReferenceValues) => {
    const { model, x, y } = referenceModel({ dtype, frozenBias });
    const trace = model.traceStep(x, y);
    const [hidden, output] = trace.layers;
    if (!hidden || !output) throw new Error("expected two layers");

    expectClose(rows(hidden.preActivation!)[0]!, expected.hiddenNet, tol, "hiddenNet");
    expectClose(rows(hidden.output)[0]!, expected.hiddenOut, tol, "hiddenOut");
    expectClose(rows(output.preActivation!)[0]!, expected.outputNet, tol, "outputNet");
    expectClose(rows(output.output)[0]!, expected.output, tol, "output");
    expectClose(trace.loss, expected.totalError, tol, "totalError");
    expectClose(rows(output.outputGradient!)[0]!, expected.outputError, tol, "outputError");
    expectClose(rows(output.delta!)[0]!, expected.outputDelta, tol, "outputDelta");
    expectClose(rows(hidden.delta!)[0]!, expected.hiddenDelta, tol, "hiddenDelta");

    const [hk, hb] = hidden.params;
    const [ok, ob] = output.params;
    expectClose(neuronRows(rows(ok!.after), ob!.after as number[]), expected.outputWeightsAfter, tol, "outputWeightsAfter");
    expectClose(neuronRows(rows(hk!.after), hb!.after as number[]), expected.hiddenWeightsAfter, tol, "hiddenWeightsAfter");
    expectClose(trace.lossAfter, expected.totalErrorAfter, tol, "totalErrorAfter");

    // The live weights are the traced ones, and a frozen bias really is untouched.
    const kernel = rows(model.params()[2]!.value.toArray());
    expectClose(kernel, rows(ok!.after), 0, "live output kernel");
    expect(hb!.trainable).toBe(!frozenBias);
    if (frozenBias) expect(hb!.after).toEqual(hb!.before);
  });
});

describe("the vendored reference file", () => {
  const shared = fileURLToPath(new URL("../../../../../shared/reference/mazur-step.json", import.meta.url));
  it.runIf(existsSync(shared))("is identical to the project's shared reference", () => {
    const vendored = JSON.parse(readFileSync(fileURLToPath(new URL("./mazur-step.json", import.meta.url)), "utf8"));
    expect(vendored).toEqual(JSON.parse(readFileSync(shared, "utf8")));
  });
});
