import { referenceModel, type StepTrace } from "@backprop/layers";
import { rowsOf, type NestedArray } from "@backprop/linalg";

/** The first row of a traced value's 2-D view (the first sample), or none. */
function firstRow(value: NestedArray | undefined): number[] {
  return value === undefined ? [] : (rowsOf(value)[0] ?? []);
}

/** The stages of one training step, in the order the view reveals them. */
export const STAGES = ["Start", "Forward pass", "Error", "Output deltas", "Hidden deltas", "Updates"] as const;

/** A displayed number: its key (for tests and screen readers) and its exact value. */
interface Cell {
  readonly key: string;
  readonly value: number;
}

/** One traced step of the reference network, with biases updated or frozen. */
export function traceReference(frozenBias: boolean): StepTrace {
  const { model, x, y } = referenceModel({ frozenBias });
  return model.traceStep(x, y);
}

/** in×out kernel and bias → neuron rows `[w_from_1, w_from_2, bias]` (the article's layout). */
export function neuronRows(kernel: readonly (readonly number[])[], bias: readonly number[]): number[][] {
  return bias.map((b, unit) => [...kernel.map((row) => row[unit] as number), b]);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(9).replace(/0+$/, "").replace(/\.$/, "");
}

function num(cell: Cell): HTMLElement {
  const el = document.createElement("span");
  el.className = "num";
  el.dataset["key"] = cell.key;
  el.dataset["value"] = String(cell.value);
  el.title = String(cell.value);
  el.textContent = fmt(cell.value);
  return el;
}

function vector(key: string, values: readonly number[]): Cell[] {
  return values.map((value, i) => ({ key: `${key}.${i}`, value }));
}

function table(caption: string, columns: readonly string[], rows: readonly (readonly [string, readonly Cell[]])[]): HTMLTableElement {
  const t = document.createElement("table");
  const cap = t.createCaption();
  cap.textContent = caption;
  const head = t.createTHead().insertRow();
  for (const c of ["", ...columns]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = c;
    head.append(th);
  }
  const body = t.createTBody();
  for (const [label, cells] of rows) {
    const tr = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = label;
    tr.append(th);
    for (const cell of cells) tr.insertCell().append(num(cell));
  }
  return t;
}

function sentence(text: string): HTMLParagraphElement {
  const p = document.createElement("p");
  p.textContent = text;
  return p;
}

function weightTable(caption: string, key: string, rows: readonly (readonly number[])[], names: readonly string[], inputs: readonly string[]): HTMLTableElement {
  return table(
    caption,
    [...inputs.map((i) => `w from ${i}`), "bias"],
    rows.map((r, n) => [names[n] as string, r.map((value, c) => ({ key: `${key}.${n}.${c}`, value }))] as const),
  );
}

/** The content of stage `index` (0-based) for a trace. */
function stageContent(trace: StepTrace, index: number): HTMLElement[] {
  const [hidden, output] = trace.layers;
  if (!hidden || !output) return [];
  const p = (layer: typeof hidden, which: "before" | "after" | "gradient"): number[][] =>
    neuronRows(rowsOf(layer.params[0]?.[which] ?? [[]]), firstRow(layer.params[1]?.[which]));
  const hNames = ["h₁", "h₂"];
  const oNames = ["o₁", "o₂"];
  switch (index) {
    case 0:
      return [
        table("Inputs and targets", ["1", "2"], [
          ["input i", vector("input", firstRow(trace.input))],
          ["target t", vector("target", firstRow(trace.target))],
        ]),
        weightTable("Hidden weights", "hiddenWeights", p(hidden, "before"), hNames, ["i₁", "i₂"]),
        weightTable("Output weights", "outputWeights", p(output, "before"), oNames, ["h₁", "h₂"]),
        sentence(`Optimizer: ${trace.optimizer.name}, learning rate ${trace.optimizer.learningRate}.`),
      ];
    case 1:
      return [
        sentence("net = Σ w·in + b, out = σ(net) = 1 / (1 + e^(−net)), for the hidden layer, then the output layer."),
        table("Forward pass", ["1", "2"], [
          ["hidden net", vector("hiddenNet", firstRow(hidden.preActivation))],
          ["hidden out", vector("hiddenOut", firstRow(hidden.output))],
          ["output net", vector("outputNet", firstRow(output.preActivation))],
          ["output out", vector("output", firstRow(output.output))],
        ]),
      ];
    case 2:
      return [
        sentence("E = ½·Σ(t − out)²; its derivative per output, ∂E/∂out = out − t, is the error sent backwards."),
        table("Error", ["value"], [["total error E", [{ key: "totalError", value: trace.loss }]]]),
        table("∂E/∂out", ["o₁", "o₂"], [["error", vector("outputError", firstRow(output.outputGradient))]]),
      ];
    case 3:
      return [
        sentence("δₒ = ∂E/∂out · out·(1 − out); each output weight's gradient is δₒ times the hidden output it multiplies."),
        table("Output deltas", ["o₁", "o₂"], [["δₒ", vector("outputDelta", firstRow(output.delta))]]),
        weightTable("∂E/∂w, output layer", "outputGradient", p(output, "gradient"), oNames, ["h₁", "h₂"]),
      ];
    case 4:
      return [
        sentence("δₕ = (Σ w·δₒ) · out·(1 − out): the output deltas flow back through the output weights."),
        table("Hidden deltas", ["h₁", "h₂"], [["δₕ", vector("hiddenDelta", firstRow(hidden.delta))]]),
        weightTable("∂E/∂w, hidden layer", "hiddenGradient", p(hidden, "gradient"), hNames, ["i₁", "i₂"]),
      ];
    case 5:
      return [
        sentence(`w ← w − η·∂E/∂w with η = ${trace.optimizer.learningRate}; every weight changes at once.`),
        weightTable("Output weights after", "outputWeightsAfter", p(output, "after"), oNames, ["h₁", "h₂"]),
        weightTable("Hidden weights after", "hiddenWeightsAfter", p(hidden, "after"), hNames, ["i₁", "i₂"]),
        table("Error after the step", ["value"], [["total error E", [{ key: "totalErrorAfter", value: trace.lossAfter }]]]),
      ];
    default:
      return [];
  }
}

/**
 * Mounts the step-by-step view: each "Next stage" click reveals the next stage's numbers, read
 * from `Sequential.traceStep` on the reference model.
 */
export function mountBackpropView(root: {
  next: HTMLButtonElement;
  restart: HTMLButtonElement;
  frozen: HTMLInputElement;
  stages: HTMLOListElement;
  view: HTMLElement;
}): void {
  let trace = traceReference(false);
  let shown = 0;
  const render = (): void => {
    root.stages.replaceChildren(
      ...STAGES.map((name, i) => {
        const li = document.createElement("li");
        li.textContent = name;
        if (i < shown) li.className = "done";
        if (i === shown - 1) li.setAttribute("aria-current", "step");
        return li;
      }),
    );
    root.view.replaceChildren(
      ...STAGES.slice(0, shown).map((name, i) => {
        const section = document.createElement("section");
        section.className = "stage";
        section.dataset["stage"] = String(i);
        const h = document.createElement("h3");
        h.textContent = `${i + 1}. ${name}`;
        section.append(h, ...stageContent(trace, i));
        return section;
      }),
    );
    root.next.disabled = shown >= STAGES.length;
    root.next.textContent = shown === 0 ? "Start" : shown >= STAGES.length ? "Done" : `Next: ${STAGES[shown]}`;
  };
  root.next.addEventListener("click", () => {
    shown = Math.min(STAGES.length, shown + 1);
    render();
  });
  root.restart.addEventListener("click", () => {
    shown = 0;
    render();
    root.next.focus();
  });
  root.frozen.addEventListener("change", () => {
    trace = traceReference(root.frozen.checked);
    render();
  });
  render();
}
