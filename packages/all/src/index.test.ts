import * as activations from "@backprop/activations";
import * as layers from "@backprop/layers";
import * as linalg from "@backprop/linalg";
import * as optimizers from "@backprop/optimizers";
import * as serialize from "@backprop/serialize";
import { describe, expect, it } from "vitest";
import * as backprop from "./index.js";

describe("the @backprop/all package", () => {
  it.each([
    ["linalg", linalg],
    ["activations", activations],
    ["optimizers", optimizers],
    ["layers", layers],
    ["serialize", serialize],
  ] as const)("re-exports every value of @backprop/%s, the same object", (_name, mod) => {
    const all = backprop as Record<string, unknown>;
    const missing = Object.keys(mod).filter((key) => !(key in all));
    expect(missing).toEqual([]);
    for (const [key, value] of Object.entries(mod)) expect(all[key]).toBe(value);
  });

  it("trains the reference example end to end through the one import", () => {
    const { model, x, y } = backprop.referenceModel();
    const trace = model.traceStep(x, y);
    expect(trace.lossAfter).toBeCloseTo(backprop.referenceExample.biasesUpdated.totalErrorAfter, 12);
    const file = backprop.modelToJSON(model);
    const again = backprop.modelFromJSON(JSON.parse(JSON.stringify(file)));
    expect(again.predict(x).toArray()).toEqual(model.predict(x).toArray());
  });
});
