import { Dense, Dropout, Sequential, referenceExample, type StepTrace } from "@backprop/layers";
import { Matrix, rowsOf } from "@backprop/linalg";
import { sgd } from "@backprop/optimizers";
import { describe, expect, it } from "vitest";
import {
  architectureOf,
  classicStages,
  denseSteps,
  formatShort,
  networkPicture,
  stepperStages,
  traceReference,
  type Stage,
} from "./backprop-view.js";

/** Every number of a stage by key. */
const cellsOf = (stage: Stage | undefined): Map<string, number> =>
  new Map((stage?.tables ?? []).flatMap((t) => t.rows.flatMap((r) => r.cells)).map((c) => [c.key, c.value]));

const first = (v: StepTrace["input"] | undefined): number[] => (v === undefined ? [] : (rowsOf(v)[0] ?? []));

/** The 2-3-2-1 tanh/tanh/sigmoid network of the tests, plain SGD. */
function smallNet(lr = 0.1): { model: Sequential; trace: StepTrace } {
  const model = new Sequential(
    [new Dense({ units: 3, inputDim: 2, activation: "tanh" }), new Dense({ units: 2, activation: "tanh" }), new Dense({ units: 1, activation: "sigmoid" })],
    { dtype: "float64", seed: 11 },
  );
  model.compile({ loss: "binaryCrossentropy", optimizer: sgd({ lr }) });
  model.build(2);
  const trace = model.traceStep(Matrix.fromArray([[0.4, -0.7]]), Matrix.fromArray([[1]]));
  return { model, trace };
}

describe("classicStages", () => {
  for (const [variant, frozen] of [["biasesUpdated", false], ["biasesFrozen", true]] as const) {
    it(`shows the published numbers of the worked example (${variant})`, () => {
      const stages = classicStages(traceReference(frozen));
      expect(stages.map((s) => s.title)).toEqual(["Start", "Forward pass", "Error", "Output deltas", "Hidden deltas", "Updates"]);
      const shown = new Map(stages.flatMap((s) => [...cellsOf(s)]));
      let compared = 0;
      for (const [name, value] of Object.entries(referenceExample[variant]) as [string, number | number[] | number[][]][]) {
        const flat: [string, number][] =
          typeof value === "number"
            ? [[name, value]]
            : value.flatMap((row, i) => (Array.isArray(row) ? row.map((x, j): [string, number] => [`${name}.${i}.${j}`, x]) : [[`${name}.${i}`, row] as [string, number]]));
        for (const [key, want] of flat) {
          expect(shown.get(key), key).toBeDefined();
          expect(Math.abs((shown.get(key) as number) - want), key).toBeLessThan(1e-12);
          compared++;
        }
      }
      expect(compared).toBe(7 * 2 + 2 + 12);
    });
  }

  it("names every header: no empty corner cell, a caption on every table", () => {
    for (const stage of classicStages(traceReference(false))) {
      for (const t of stage.tables) {
        expect(t.caption.trim()).not.toBe("");
        expect(t.corner.trim()).not.toBe("");
        expect(t.columns.every((c) => c.trim() !== "")).toBe(true);
        for (const row of t.rows) expect(row.cells).toHaveLength(t.columns.length);
      }
    }
  });
});

describe("stepperStages", () => {
  it("gives the worked example's numbers on the classic trace, split per layer", () => {
    const stages = stepperStages(traceReference(false), { featureNames: ["i₁", "i₂"] });
    expect(stages.map((s) => s.title)).toEqual([
      "The data point",
      "Forward: layer 1 of 2",
      "Forward: layer 2 (output) of 2",
      "Loss and ∂L/∂out",
      "Backward: layer 2 (output)",
      "Backward: layer 1",
      "Update: layer 1",
      "Update: layer 2 (output)",
    ]);
    const out = cellsOf(stages[2]);
    expect(out.get("L2.out.0")).toBeCloseTo(0.75136507, 8);
    expect(out.get("L2.out.1")).toBeCloseTo(0.772928465, 8);
    expect(cellsOf(stages[1]).get("L1.out.0")).toBeCloseTo(0.593269992, 8);
    expect(out.get("L2.in.0")).toBe(cellsOf(stages[1]).get("L1.out.0"));
    expect(cellsOf(stages[3]).get("loss")).toBeCloseTo(0.298371109, 9);
    expect(cellsOf(stages[3]).get("L2.outGrad.0")).toBeCloseTo(0.74136507, 8);
    expect(cellsOf(stages[4]).get("L2.delta.0")).toBeCloseTo(0.138498562, 9);
    // w5 is the weight from h₁ to o₁: row o₁, column "w from h₁"
    const update = cellsOf(stages[7]);
    expect(update.get("L2.W.0.0")).toBe(0.4);
    expect(update.get("L2.after.0.0")).toBeCloseTo(0.35891648, 8);
    expect(update.get("lossAfter")).toBeCloseTo(referenceExample.biasesUpdated.totalErrorAfter, 12);
    expect(cellsOf(stages[6]).get("L1.after.0.0")).toBeCloseTo(0.149780716, 9);
  });

  it("on a 2-3-2-1 tanh/sigmoid network, shows the trace's own numbers and the SGD update", () => {
    const lr = 0.1;
    const { model, trace } = smallNet(lr);
    const derivatives = model.layers.map((layer) => (layer instanceof Dense ? (x: number, y: number) => layer.activation.df(x, y) : undefined));
    const stages = stepperStages(trace, { featureNames: ["x₁", "x₂"], derivatives });
    expect(stages).toHaveLength(1 + 3 + 1 + 3 + 3);
    expect([...new Set(stages.map((s) => s.group))]).toEqual(["Start", "Forward pass", "Loss", "Backward pass", "Update"]);

    const start = cellsOf(stages[0]);
    expect([start.get("input.0"), start.get("input.1"), start.get("target.0")]).toEqual([0.4, -0.7, 1]);
    expect(stages[0]?.tables[0]?.columns).toEqual(["x₁", "x₂"]);

    trace.layers.forEach((layer, i) => {
      const k = i + 1;
      const kernel = rowsOf(layer.params[0]?.before ?? []);
      const bias = first(layer.params[1]?.before);
      const forward = cellsOf(stages[k]);
      first(layer.input).forEach((v, j) => expect(forward.get(`L${k}.in.${j}`)).toBe(v));
      first(layer.preActivation).forEach((v, n) => expect(forward.get(`L${k}.net.${n}`), `L${k}.net.${n}`).toBe(v));
      first(layer.output).forEach((v, n) => expect(forward.get(`L${k}.out.${n}`), `L${k}.out.${n}`).toBe(v));
      // net = W·in + b, recomputed from the shown numbers
      first(layer.preActivation).forEach((net, n) => {
        const sum = kernel.reduce((s, row, j) => s + (forward.get(`L${k}.W.${n}.${j}`) as number) * (forward.get(`L${k}.in.${j}`) as number), 0);
        expect(sum + (forward.get(`L${k}.W.${n}.${kernel.length}`) as number)).toBeCloseTo(net, 12);
        expect(forward.get(`L${k}.W.${n}.${kernel.length}`)).toBe(bias[n]);
      });

      // backward stages run from the output: layer 3 is stage 5, layer 1 stage 7
      const backward = cellsOf(stages[1 + 3 + 1 + (3 - k)]);
      expect(stages[1 + 3 + 1 + (3 - k)]?.title).toContain(`layer ${k}`);
      const delta = first(layer.delta);
      const outGrad = first(layer.outputGradient);
      delta.forEach((d, n) => {
        expect(backward.get(`L${k}.delta.${n}`)).toBe(d);
        expect(backward.get(`L${k}.outGrad.${n}`)).toBe(outGrad[n]);
        expect((backward.get(`L${k}.outGrad.${n}`) as number) * (backward.get(`L${k}.fprime.${n}`) as number)).toBeCloseTo(d, 12);
      });
      const grad = rowsOf(layer.params[0]?.gradient ?? []);
      grad.forEach((row, j) => row.forEach((g, n) => expect(backward.get(`L${k}.grad.${n}.${j}`)).toBe(g)));
      first(layer.params[1]?.gradient).forEach((g, n) => expect(backward.get(`L${k}.grad.${n}.${grad.length}`)).toBe(g));
      // ∂L/∂in = δ·Wᵀ is what the layer before received as its ∂L/∂out
      const previous = trace.layers[i - 1];
      if (previous) first(previous.outputGradient).forEach((g, j) => expect(backward.get(`L${k}.inGrad.${j}`)).toBeCloseTo(g, 14));

      // the update: W − lr·∂L/∂W for plain SGD, before and after from the trace
      const update = cellsOf(stages[1 + 3 + 1 + 3 + i]);
      expect(stages[1 + 3 + 1 + 3 + i]?.title).toContain(`layer ${k}`);
      const after = rowsOf(layer.params[0]?.after ?? []);
      kernel.forEach((row, j) =>
        row.forEach((w, n) => {
          expect(update.get(`L${k}.W.${n}.${j}`)).toBe(w);
          expect(update.get(`L${k}.after.${n}.${j}`)).toBe(after[j]?.[n]);
          expect(update.get(`L${k}.after.${n}.${j}`)).toBeCloseTo(w - lr * (grad[j]?.[n] as number), 14);
        }),
      );
      bias.forEach((b, n) => expect(update.get(`L${k}.after.${n}.${kernel.length}`)).toBeCloseTo(b - lr * (first(layer.params[1]?.gradient)[n] as number), 14));
    });

    const loss = cellsOf(stages[4]);
    expect(loss.get("loss")).toBe(trace.loss);
    expect(loss.get("prediction.0")).toBe(first(trace.prediction)[0]);
    expect(cellsOf(stages[stages.length - 1]).get("lossAfter")).toBe(trace.lossAfter);
    expect(trace.lossAfter).toBeLessThan(trace.loss);
  });

  it("folds a Dropout layer into the layer before it", () => {
    const model = new Sequential(
      [new Dense({ units: 4, inputDim: 2, activation: "relu" }), new Dropout({ rate: 0.5 }), new Dense({ units: 1, activation: "sigmoid" })],
      { dtype: "float64", seed: 3 },
    );
    model.compile({ loss: "binaryCrossentropy", optimizer: sgd({ lr: 0.1 }) });
    model.build(2);
    const trace = model.traceStep(Matrix.fromArray([[1, 2]]), Matrix.fromArray([[0]]));
    const layers = denseSteps(trace);
    expect(layers.map((l) => l.traceIndex)).toEqual([0, 2]);
    expect(layers[0]?.dropped).toEqual(first(trace.layers[1]?.output));
    expect(layers[1]?.input).toEqual(layers[0]?.dropped);
    const stages = stepperStages(trace);
    expect(stages).toHaveLength(1 + 2 + 1 + 2 + 2);
    expect(cellsOf(stages[1]).has("L1.dropped.0")).toBe(true);
    expect(stages[0]?.tables[0]?.columns).toEqual(["x₁", "x₂"]);
  });

  it("uses the fused softmax + cross-entropy delta, out − y, and skips f′ for softmax", () => {
    const model = new Sequential([new Dense({ units: 4, inputDim: 2, activation: "tanh" }), new Dense({ units: 3, activation: "softmax" })], { dtype: "float64", seed: 5 });
    model.compile({ loss: "categoricalCrossentropy", optimizer: sgd({ lr: 0.3 }) });
    model.build(2);
    const trace = model.traceStep(Matrix.fromArray([[0.5, -0.5]]), Matrix.fromArray([[0, 1, 0]]));
    const derivatives = model.layers.map((layer) => (layer instanceof Dense && layer.activation.vector !== true ? (x: number, y: number) => layer.activation.df(x, y) : undefined));
    const stages = stepperStages(trace, { derivatives });
    const backward = cellsOf(stages.find((s) => s.title === "Backward: layer 2 (output)"));
    const out = first(trace.prediction);
    [0, 1, 0].forEach((y, n) => expect(backward.get(`L2.delta.${n}`)).toBeCloseTo((out[n] as number) - y, 12));
    expect(backward.has("L2.fprime.0")).toBe(false);
    expect(cellsOf(stages.find((s) => s.title === "Backward: layer 1")).has("L1.fprime.0")).toBe(true);
  });

  it("rejects a layer with parameters that is not Dense", () => {
    const trace = traceReference(false);
    const odd = { ...trace, layers: [{ ...trace.layers[0]!, className: "conv2d" }, trace.layers[1]!] };
    expect(() => stepperStages(odd)).toThrow(/conv2d/);
  });
});

describe("architectureOf", () => {
  it("is the same for new weights, different for a new shape", () => {
    const a = smallNet(0.1).trace;
    const b = smallNet(0.5).trace;
    expect(architectureOf(a)).toBe(architectureOf(b));
    expect(architectureOf(a)).not.toBe(architectureOf(traceReference(false)));
  });
});

describe("networkPicture", () => {
  const { trace } = smallNet();
  const layers = denseSteps(trace);
  const stages = stepperStages(trace);
  const draw = (stage: Stage | undefined) =>
    networkPicture(layers, first(trace.input), first(trace.target), ["x₁", "x₂"], stage?.picture ?? { forward: 0, backward: 0, updated: 0, neurons: [], edges: [], targets: false, description: "" });

  it("has one circle per neuron and one edge per weight", () => {
    const picture = draw(undefined);
    expect(picture.neurons).toHaveLength(2 + 3 + 2 + 1);
    expect(picture.edges).toHaveLength(2 * 3 + 3 * 2 + 2 * 1);
    expect(picture.columns.map((c) => c.title)).toEqual(["inputs", "layer 1 · tanh", "layer 2 · tanh", "output · sigmoid"]);
    // before the step only the inputs are known
    expect(picture.neurons.filter((n) => n.value !== undefined).map((n) => n.name)).toEqual(["x₁", "x₂"]);
    expect(picture.neurons.every((n) => n.x > 0 && n.x < picture.width && n.y > 0 && n.y < picture.height)).toBe(true);
  });

  it("follows the stages: values forward, δ backward, new weights on update", () => {
    const forward2 = draw(stages[2]);
    expect(forward2.neurons.filter((n) => n.highlighted).map((n) => n.column)).toEqual([2, 2]);
    expect(forward2.edges.filter((e) => e.highlighted).every((e) => e.layer === 2)).toBe(true);
    expect(forward2.neurons.filter((n) => n.column === 3)[0]?.value).toBeUndefined();
    expect(forward2.neurons.find((n) => n.column === 2 && n.index === 1)?.value).toBe(layers[1]?.out[1]);

    const loss = draw(stages[4]);
    expect(loss.neurons.find((n) => n.column === 3)?.target).toBe(1);

    const back2 = draw(stages[6]);
    expect(back2.neurons.filter((n) => n.delta !== undefined).map((n) => n.column)).toEqual([2, 2, 3]);

    const update1 = draw(stages[8]);
    const edge = update1.edges.find((e) => e.layer === 1 && e.from === 1 && e.to === 2);
    expect(edge).toMatchObject({ updated: true, highlighted: true, weight: layers[0]?.kernel.after[1]?.[2] });
    expect(update1.edges.find((e) => e.layer === 2)?.updated).toBe(false);
  });
});

describe("formatShort", () => {
  it("keeps about 4 significant digits", () => {
    expect(formatShort(0.7513650695523157)).toBe("0.7514");
    expect(formatShort(-0.038098236516556236)).toBe("-0.0381");
    expect(formatShort(12.3456)).toBe("12.35");
    expect(formatShort(0)).toBe("0");
    expect(formatShort(1)).toBe("1");
    expect(formatShort(-0.00001234567)).toBe("-1.235e-5");
    expect(formatShort(123456)).toBe("1.235e+5");
    expect(formatShort(0.00001)).toBe("1e-5");
    expect(formatShort(Number.NaN)).toBe("NaN");
  });
});
