import { mountBackpropView } from "./backprop-view.js";
import { CLASSIFICATION_DATASETS, DATASET_LABELS, REGRESSION_DATASETS, generateDataset, splitDataset, type DatasetName, type Point } from "./datasets.js";
import { drawLoss, drawNetwork, drawOutput } from "./draw.js";
import { FEATURES, FEATURE_LABELS, type FeatureName } from "./features.js";
import { FormulaError, formulaActivation } from "./formula-activation.js";
import { OPTIMIZER_NAMES, optimizerDefaults, type HyperValue } from "./optimizer-catalog.js";
import type { FromWorker, Snapshot, ToWorker } from "./protocol.js";
import { ACTIVATIONS, MAX_LAYERS, MAX_NEURONS, decodeState, encodeState, type DemoState, type ProblemType, type RegularizationKind } from "./state.js";
import "./style.css";

function $<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

const ui = {
  play: $<HTMLButtonElement>("play"),
  step: $<HTMLButtonElement>("step"),
  reset: $<HTMLButtonElement>("reset"),
  epoch: $<HTMLOutputElement>("epoch"),
  share: $<HTMLAnchorElement>("share"),
  copyLink: $<HTMLButtonElement>("copy-link"),
  exportModel: $<HTMLButtonElement>("export"),
  problem: $<HTMLSelectElement>("problem"),
  dataset: $<HTMLSelectElement>("dataset"),
  noise: $<HTMLInputElement>("noise"),
  noiseValue: $<HTMLOutputElement>("noise-value"),
  trainRatio: $<HTMLInputElement>("train-ratio"),
  trainRatioValue: $<HTMLOutputElement>("train-ratio-value"),
  batchSize: $<HTMLInputElement>("batch-size"),
  batchSizeValue: $<HTMLOutputElement>("batch-size-value"),
  regenerate: $<HTMLButtonElement>("regenerate"),
  features: $<HTMLDivElement>("features"),
  addLayer: $<HTMLButtonElement>("add-layer"),
  removeLayer: $<HTMLButtonElement>("remove-layer"),
  layerCount: $<HTMLOutputElement>("layer-count"),
  layerControls: $<HTMLDivElement>("layer-controls"),
  network: $<HTMLCanvasElement>("network"),
  activation: $<HTMLSelectElement>("activation"),
  optimizer: $<HTMLSelectElement>("optimizer"),
  lr: $<HTMLInputElement>("lr"),
  regularization: $<HTMLSelectElement>("regularization"),
  regRate: $<HTMLInputElement>("reg-rate"),
  formula: $<HTMLFieldSetElement>("formula"),
  formulaF: $<HTMLInputElement>("formula-f"),
  formulaDf: $<HTMLInputElement>("formula-df"),
  formulaApply: $<HTMLButtonElement>("formula-apply"),
  formulaNote: $<HTMLParagraphElement>("formula-note"),
  hyperparameters: $<HTMLDivElement>("hyperparameters"),
  testLoss: $<HTMLOutputElement>("test-loss"),
  trainLoss: $<HTMLOutputElement>("train-loss"),
  testAccuracy: $<HTMLOutputElement>("test-accuracy"),
  accuracyRow: $<HTMLDivElement>("accuracy-row"),
  lossChart: $<HTMLCanvasElement>("loss-chart"),
  heatmap: $<HTMLCanvasElement>("heatmap"),
  showTest: $<HTMLInputElement>("show-test"),
  error: $<HTMLParagraphElement>("error"),
  speed: $<HTMLSelectElement>("speed"),
};

let state: DemoState = decodeState(location.hash);
let train: Point[] = [];
let test: Point[] = [];
let last: Snapshot | undefined;
let playing = false;

const worker = new Worker(new URL("./training-worker.ts", import.meta.url), { type: "module" });
const send = (msg: ToWorker): void => worker.postMessage(msg);

function option(value: string, label: string): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

ui.activation.append(...ACTIVATIONS.map((a) => option(a, a === "formula" ? "Custom formula…" : a)));
ui.optimizer.append(...OPTIMIZER_NAMES.map((o) => option(o, o)));

function setPlaying(value: boolean): void {
  playing = value;
  ui.play.textContent = value ? "❚❚" : "▶";
  ui.play.setAttribute("aria-label", value ? "Pause" : "Play");
  ui.play.setAttribute("aria-pressed", String(value));
}

function showError(message: string | undefined): void {
  ui.error.hidden = message === undefined;
  ui.error.textContent = message ?? "";
}

function buildFeatures(): void {
  ui.features.replaceChildren(
    ...FEATURES.map((f) => {
      const label = document.createElement("label");
      label.className = "inline";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `feature-${f}`;
      box.addEventListener("change", () => {
        const next = box.checked ? [...state.features, f] : state.features.filter((x) => x !== f);
        if (next.length === 0) {
          box.checked = true;
          return;
        }
        update({ features: FEATURES.filter((x) => next.includes(x)) as FeatureName[] });
      });
      label.append(box, ` ${FEATURE_LABELS[f]}`);
      return label;
    }),
  );
}

function layerButton(i: number, delta: 1 | -1): HTMLButtonElement {
  const b = document.createElement("button");
  b.type = "button";
  b.id = `layer-${i}-${delta > 0 ? "add" : "remove"}`;
  b.textContent = delta > 0 ? "+" : "−";
  b.setAttribute("aria-label", delta > 0 ? `Add a neuron to layer ${i + 1}` : `Remove a neuron from layer ${i + 1}`);
  b.addEventListener("click", () => update({ hidden: state.hidden.map((u, j) => (j === i ? u + delta : u)) }));
  return b;
}

// NOTE: controls are rebuilt only when their number changes, and updated in place otherwise, so a
// keyboard user's focus stays on the button or field they just used.
function renderLayerControls(): void {
  if (ui.layerControls.children.length !== state.hidden.length) {
    ui.layerControls.replaceChildren(
      ...state.hidden.map((_units, i) => {
        const group = document.createElement("div");
        group.className = "layer";
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", `Hidden layer ${i + 1}`);
        group.append(layerButton(i, -1), document.createElement("span"), layerButton(i, 1));
        return group;
      }),
    );
  }
  state.hidden.forEach((units, i) => {
    const group = ui.layerControls.children[i] as HTMLElement;
    const [minus, text, plus] = [...group.children] as [HTMLButtonElement, HTMLSpanElement, HTMLButtonElement];
    minus.disabled = units <= 1;
    plus.disabled = units >= MAX_NEURONS;
    text.textContent = `${units} neuron${units === 1 ? "" : "s"}`;
  });
}

let hyperKeys = "";
function renderHyperparameters(): void {
  const keys = `${state.optimizer}:${Object.keys(state.hyper).join(",")}`;
  if (keys !== hyperKeys) {
    hyperKeys = keys;
    ui.hyperparameters.replaceChildren(
      ...Object.entries(state.hyper).map(([key, value]) => {
        const wrap = document.createElement("div");
        const input = document.createElement("input");
        input.id = `hp-${key}`;
        const label = document.createElement("label");
        label.htmlFor = input.id;
        label.textContent = key;
        if (typeof value === "boolean") {
          input.type = "checkbox";
          wrap.className = "inline";
          input.addEventListener("change", () => update({ hyper: { ...state.hyper, [key]: input.checked } }));
          wrap.append(input, label);
        } else {
          input.type = "number";
          input.step = "any";
          input.min = "0";
          input.inputMode = "decimal";
          input.addEventListener("change", () => {
            const v = Number(input.value);
            if (input.value.trim() === "" || !Number.isFinite(v) || v < 0) {
              input.value = String(state.hyper[key]);
              return;
            }
            update({ hyper: { ...state.hyper, [key]: v } });
          });
          wrap.append(label, input);
        }
        return wrap;
      }),
    );
  }
  for (const [key, value] of Object.entries(state.hyper)) {
    const input = document.getElementById(`hp-${key}`) as HTMLInputElement;
    if (typeof value === "boolean") input.checked = value;
    else input.value = String(value);
  }
}

/** Writes the state into every control (the controls never hold anything the state does not). */
function renderControls(): void {
  ui.problem.value = state.problem;
  const names: readonly DatasetName[] = state.problem === "regression" ? REGRESSION_DATASETS : CLASSIFICATION_DATASETS;
  ui.dataset.replaceChildren(...names.map((n) => option(n, DATASET_LABELS[n])));
  ui.dataset.value = state.dataset;
  ui.noise.value = String(state.noise);
  ui.noiseValue.textContent = `${state.noise}%`;
  ui.trainRatio.value = String(state.trainRatio);
  ui.trainRatioValue.textContent = `${state.trainRatio}%`;
  ui.batchSize.value = String(state.batchSize);
  ui.batchSizeValue.textContent = String(state.batchSize);

  for (const f of FEATURES) (document.getElementById(`feature-${f}`) as HTMLInputElement).checked = state.features.includes(f);

  ui.layerCount.textContent = String(state.hidden.length);
  ui.addLayer.disabled = state.hidden.length >= MAX_LAYERS;
  ui.removeLayer.disabled = state.hidden.length === 0;
  renderLayerControls();

  ui.activation.value = state.activation;
  ui.formula.hidden = state.activation !== "formula";
  if (document.activeElement !== ui.formulaF) ui.formulaF.value = state.formulaF;
  if (document.activeElement !== ui.formulaDf) ui.formulaDf.value = state.formulaDf;
  ui.optimizer.value = state.optimizer;
  ui.lr.value = String(state.lr);
  ui.regularization.value = state.regularization;
  ui.regRate.value = String(state.regRate);
  ui.regRate.disabled = state.regularization === "none";

  renderHyperparameters();
  ui.accuracyRow.hidden = state.problem !== "classification";
  const link = `${location.pathname}${location.search}#${encodeState(state)}`;
  ui.share.href = link;
}

/** Validates the formula fields on the page; returns an error message or undefined. */
function formulaStatus(f: string, df: string): { error?: string; note: string } {
  try {
    const { numericDerivative } = formulaActivation({ f, df });
    return {
      note: numericDerivative
        ? "f′(x) is computed numerically (central differences, h = 10⁻⁵·max(1, |x|))."
        : "Using your f′(x).",
    };
  } catch (error) {
    if (error instanceof FormulaError) return { error: error.message, note: error.message };
    throw error;
  }
}

/** Regenerates the points and rebuilds the network in the worker (training starts over). */
function configure(): void {
  const points = generateDataset(state.dataset, { noise: state.noise / 100, seed: state.dataSeed });
  ({ train, test } = splitDataset(points, state.trainRatio / 100));
  setPlaying(false);
  showError(undefined);
  last = undefined;
  send({ type: "configure", state, train, test });
}

function update(patch: Partial<DemoState>): void {
  state = { ...state, ...patch };
  history.replaceState(null, "", `#${encodeState(state)}`);
  renderControls();
  configure();
}

function render(s: Snapshot): void {
  last = s;
  ui.epoch.textContent = String(s.epoch).padStart(6, "0");
  ui.epoch.dataset["value"] = String(s.epoch);
  const testLoss = s.testLoss[s.testLoss.length - 1] ?? NaN;
  const trainLoss = s.trainLoss[s.trainLoss.length - 1] ?? NaN;
  ui.testLoss.textContent = testLoss.toFixed(3);
  ui.testLoss.dataset["value"] = String(testLoss);
  ui.trainLoss.textContent = trainLoss.toFixed(3);
  ui.trainLoss.dataset["value"] = String(trainLoss);
  ui.testAccuracy.textContent = s.testAccuracy === undefined ? "–" : `${(s.testAccuracy * 100).toFixed(1)}%`;
  const probabilityOutput = state.problem === "classification";
  drawNetwork(ui.network, {
    inputLabels: state.features.map((f) => FEATURE_LABELS[f]),
    weights: s.weights,
    maps: s.maps,
    grid: s.grid,
    probabilityOutput,
  });
  drawOutput(ui.heatmap, {
    values: s.maps[s.maps.length - 1],
    grid: s.grid,
    probabilityOutput,
    train,
    test,
    showTest: ui.showTest.checked,
    regression: !probabilityOutput,
  });
  drawLoss(ui.lossChart, s.trainLoss, s.testLoss);
}

worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.type === "snapshot") {
    try {
      render(msg);
    } finally {
      send({ type: "ack" });
    }
  }
  else if (msg.type === "error") {
    setPlaying(false);
    showError(`Training failed: ${msg.message}`);
  } else if (msg.type === "export") {
    const url = URL.createObjectURL(new Blob([msg.json], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `backprop-playground-${state.dataset}.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
});
worker.addEventListener("error", (event) => {
  setPlaying(false);
  showError(`The training worker failed: ${event.message}`);
});

// ---- controls → state
ui.play.addEventListener("click", () => {
  setPlaying(!playing);
  send(playing ? { type: "play", epochsPerFrame: Number(ui.speed.value) } : { type: "pause" });
});
ui.speed.addEventListener("change", () => {
  if (playing) send({ type: "play", epochsPerFrame: Number(ui.speed.value) });
});
ui.step.addEventListener("click", () => {
  setPlaying(false);
  send({ type: "step" });
});
ui.reset.addEventListener("click", () => configure());
ui.regenerate.addEventListener("click", () => update({ dataSeed: (state.dataSeed + 1) % 2 ** 31 }));
ui.problem.addEventListener("change", () => {
  const problem = ui.problem.value as ProblemType;
  update({ problem, dataset: problem === "regression" ? REGRESSION_DATASETS[0] : CLASSIFICATION_DATASETS[0] });
});
ui.dataset.addEventListener("change", () => update({ dataset: ui.dataset.value as DatasetName }));
const slider = (input: HTMLInputElement, out: HTMLOutputElement, suffix: string, key: "noise" | "trainRatio" | "batchSize"): void => {
  input.addEventListener("input", () => {
    out.textContent = `${input.value}${suffix}`;
  });
  input.addEventListener("change", () => update({ [key]: Number(input.value) }));
};
slider(ui.noise, ui.noiseValue, "%", "noise");
slider(ui.trainRatio, ui.trainRatioValue, "%", "trainRatio");
slider(ui.batchSize, ui.batchSizeValue, "", "batchSize");
ui.addLayer.addEventListener("click", () => update({ hidden: [...state.hidden, 2] }));
ui.removeLayer.addEventListener("click", () => update({ hidden: state.hidden.slice(0, -1) }));
ui.optimizer.addEventListener("change", () => update({ optimizer: ui.optimizer.value, hyper: optimizerDefaults(ui.optimizer.value) as Record<string, HyperValue> }));
const numberField = (input: HTMLInputElement, key: "lr" | "regRate"): void => {
  input.addEventListener("change", () => {
    const v = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(v) || v < 0 || v > 10) {
      input.value = String(state[key]);
      return;
    }
    update({ [key]: v });
  });
};
numberField(ui.lr, "lr");
numberField(ui.regRate, "regRate");
ui.regularization.addEventListener("change", () => {
  const regularization = ui.regularization.value as RegularizationKind;
  update({ regularization, regRate: regularization !== "none" && state.regRate === 0 ? 0.001 : state.regRate });
});

function applyFormula(): void {
  const f = ui.formulaF.value;
  const df = ui.formulaDf.value;
  const status = formulaStatus(f, df);
  ui.formulaNote.textContent = status.note;
  ui.formulaNote.classList.toggle("error", status.error !== undefined);
  ui.formulaF.setAttribute("aria-invalid", String(status.error?.startsWith("f(x)") ?? false));
  ui.formulaDf.setAttribute("aria-invalid", String(status.error?.startsWith("f′(x)") ?? false));
  if (status.error === undefined) update({ activation: "formula", formulaF: f.trim(), formulaDf: df.trim() });
}
ui.activation.addEventListener("change", () => {
  if (ui.activation.value === "formula") {
    ui.formula.hidden = false;
    applyFormula();
  } else {
    update({ activation: ui.activation.value });
  }
});
ui.formulaApply.addEventListener("click", applyFormula);
for (const input of [ui.formulaF, ui.formulaDf]) {
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter") applyFormula();
  });
}
ui.showTest.addEventListener("change", () => {
  if (last) render(last);
});
ui.copyLink.addEventListener("click", () => {
  const url = new URL(ui.share.href, location.href).href;
  navigator.clipboard?.writeText(url).then(
    () => (ui.copyLink.textContent = "Copied"),
    () => prompt("Copy this link", url),
  );
  setTimeout(() => (ui.copyLink.textContent = "Copy link"), 1500);
});
ui.exportModel.addEventListener("click", () => send({ type: "export" }));

document.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement | null;
  if (e.ctrlKey || e.metaKey || e.altKey || (target && target !== document.body)) return;
  if (e.key === " ") {
    e.preventDefault();
    ui.play.click();
  } else if (e.key === "s") ui.step.click();
  else if (e.key === "r") ui.reset.click();
});
window.addEventListener("hashchange", () => {
  const next = decodeState(location.hash);
  if (encodeState(next) === encodeState(state)) return;
  state = next;
  renderControls();
  configure();
});

mountBackpropView({
  next: $("bp-next"),
  restart: $("bp-restart"),
  frozen: $("bp-frozen"),
  stages: $<HTMLOListElement>("bp-stages"),
  view: $("bp-view"),
});

buildFeatures();
renderControls();
if (state.activation === "formula") ui.formulaNote.textContent = formulaStatus(state.formulaF, state.formulaDf).note;
configure();
