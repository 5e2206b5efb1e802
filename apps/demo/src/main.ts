import { mountBackpropView } from "./backprop-view.js";
import { CLASSIFICATION_DATASETS, DATASET_LABELS, REGRESSION_DATASETS, generateDataset, splitDataset, type DatasetName, type Point } from "./datasets.js";
import { drawLoss, drawNetwork, drawOutput } from "./draw.js";
import { FEATURES, FEATURE_LABELS, type FeatureName } from "./features.js";
import { FormulaError, formulaActivation } from "./formula-activation.js";
import { liveChanges, stateProblem } from "./model.js";
import { OPTIMIZER_NAMES, defaultLearningRate, optimizerDefaults, type HyperValue } from "./optimizer-catalog.js";
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
  shareUrl: $<HTMLInputElement>("share-url"),
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
  penalty: $<HTMLOutputElement>("penalty"),
  penaltyRow: $<HTMLDivElement>("penalty-row"),
  accuracyRow: $<HTMLDivElement>("accuracy-row"),
  lossChart: $<HTMLCanvasElement>("loss-chart"),
  heatmap: $<HTMLCanvasElement>("heatmap"),
  showTest: $<HTMLInputElement>("show-test"),
  error: $<HTMLParagraphElement>("error"),
  speed: $<HTMLSelectElement>("speed"),
};

/** What the controls show; it may be invalid (a rejected hyperparameter or formula) while being edited. */
let state: DemoState = decodeState(location.hash);
/** The state the worker trains, or undefined when the controls hold an invalid configuration. */
let running: DemoState | undefined;
/** Tags each configure; answers about an older configuration are dropped (no stale errors). */
let run = 0;
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

/** Marks the control whose value was rejected (at most one), for people and screen readers. */
function markInvalid(control: HTMLElement | undefined): void {
  for (const el of document.querySelectorAll("[aria-invalid='true']")) if (el !== control) el.setAttribute("aria-invalid", "false");
  control?.setAttribute("aria-invalid", "true");
}

/** Enables or disables what needs a trainable network. */
function setTrainable(value: boolean): void {
  for (const button of [ui.play, ui.step, ui.reset, ui.exportModel]) button.disabled = !value;
}

/** Forgets the drawn network: after a rejected edit nothing on screen may suggest it still trains. */
function clearPictures(): void {
  last = undefined;
  for (const canvas of [ui.network, ui.heatmap, ui.lossChart]) {
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
  }
  for (const out of [ui.testLoss, ui.trainLoss, ui.testAccuracy, ui.penalty]) {
    out.textContent = "–";
    delete out.dataset["value"];
  }
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
          input.addEventListener("change", () => update({ hyper: { ...state.hyper, [key]: input.checked } }, input));
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
            update({ hyper: { ...state.hyper, [key]: v } }, input);
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
  ui.penaltyRow.hidden = state.regularization === "none";

  renderHyperparameters();
  ui.accuracyRow.hidden = state.problem !== "classification";
  // NOTE: the link always names a configuration that trains: the last valid one
  const link = `${location.pathname}${location.search}#${encodeState(running ?? state)}`;
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
  const problem = stateProblem(state);
  setPlaying(false);
  if (problem !== undefined) {
    // NOTE: the worker would reject it too (same code); drop its network so ▶ cannot pretend to
    // train a model the controls no longer describe.
    running = undefined;
    send({ type: "discard" });
    clearPictures();
    setTrainable(false);
    showError(`Not applied — ${problem}. Training is off until this is fixed.`);
    renderControls();
    return;
  }
  const points = generateDataset(state.dataset, { noise: state.noise / 100, seed: state.dataSeed });
  ({ train, test } = splitDataset(points, state.trainRatio / 100));
  showError(undefined);
  markInvalid(undefined);
  setTrainable(true);
  last = undefined;
  running = state;
  run++;
  send({ type: "configure", run, state, train, test });
}

/**
 * Applies an edit: the learning rate, regularization and batch size change the running network
 * live (as in the TensorFlow Playground); anything else rebuilds it. `control` is the field edited,
 * marked invalid when the edit is rejected.
 */
function update(patch: Partial<DemoState>, control?: HTMLElement): void {
  state = { ...state, ...patch };
  const problem = stateProblem(state);
  if (problem === undefined) history.replaceState(null, "", `#${encodeState(state)}`);
  if (problem === undefined && running !== undefined && liveChanges(running, state)) {
    running = state;
    showError(undefined);
    markInvalid(undefined);
    send({ type: "tune", state });
    renderControls();
    return;
  }
  configure();
  if (problem !== undefined) markInvalid(control);
  renderControls();
}

function render(s: Snapshot): void {
  last = s;
  ui.epoch.textContent = String(s.epoch).padStart(6, "0");
  ui.epoch.dataset["value"] = String(s.epoch);
  ui.testLoss.textContent = s.testLoss.toFixed(3);
  ui.testLoss.dataset["value"] = String(s.testLoss);
  ui.trainLoss.textContent = s.trainLoss.toFixed(3);
  ui.trainLoss.dataset["value"] = String(s.trainLoss);
  ui.penalty.textContent = s.penalty.toFixed(3);
  ui.penalty.dataset["value"] = String(s.penalty);
  // what the worker trains with now (the learning rate and batch size change live)
  ui.lr.dataset["applied"] = String(s.lr);
  ui.batchSize.dataset["applied"] = String(s.batchSize);
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
  drawLoss(ui.lossChart, s.history, { epoch: s.epoch, train: s.trainLoss, test: s.testLoss });
}

worker.addEventListener("message", (event: MessageEvent<FromWorker>) => {
  const msg = event.data;
  if (msg.type === "snapshot") {
    try {
      if (msg.run === run && running !== undefined) render(msg);
    } finally {
      send({ type: "ack" });
    }
  } else if (msg.type === "error") {
    if (msg.run !== run || running === undefined) return;
    setPlaying(false);
    showError(`Training stopped: ${msg.message}`);
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
  if (running === undefined) return;
  setPlaying(!playing);
  send(playing ? { type: "play", epochsPerFrame: Number(ui.speed.value) } : { type: "pause" });
});
ui.speed.addEventListener("change", () => {
  if (playing) send({ type: "play", epochsPerFrame: Number(ui.speed.value) });
});
ui.step.addEventListener("click", () => {
  if (running === undefined) return;
  setPlaying(false);
  send({ type: "step" });
});
ui.reset.addEventListener("click", () => {
  if (running !== undefined) configure();
});
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
  input.addEventListener("change", () => update({ [key]: Number(input.value) }, input));
};
slider(ui.noise, ui.noiseValue, "%", "noise");
slider(ui.trainRatio, ui.trainRatioValue, "%", "trainRatio");
slider(ui.batchSize, ui.batchSizeValue, "", "batchSize");
ui.addLayer.addEventListener("click", () => update({ hidden: [...state.hidden, 2] }));
ui.removeLayer.addEventListener("click", () => update({ hidden: state.hidden.slice(0, -1) }));
// NOTE: each optimizer starts from its own learning rate: Adadelta stalls at Adam's, Adam fails
// the spiral at SGD's.
ui.optimizer.addEventListener("change", () =>
  update({ optimizer: ui.optimizer.value, hyper: optimizerDefaults(ui.optimizer.value) as Record<string, HyperValue>, lr: defaultLearningRate(ui.optimizer.value) }),
);
const numberField = (input: HTMLInputElement, key: "lr" | "regRate"): void => {
  input.addEventListener("change", () => {
    const v = Number(input.value);
    if (input.value.trim() === "" || !Number.isFinite(v) || v < 0 || v > 10) {
      input.value = String(state[key]);
      return;
    }
    update({ [key]: v }, input);
  });
};
numberField(ui.lr, "lr");
numberField(ui.regRate, "regRate");
ui.regularization.addEventListener("change", () => {
  const regularization = ui.regularization.value as RegularizationKind;
  update({ regularization, regRate: regularization !== "none" && state.regRate === 0 ? 0.001 : state.regRate }, ui.regularization);
});

function applyFormula(): void {
  const f = ui.formulaF.value;
  const df = ui.formulaDf.value;
  const status = formulaStatus(f, df);
  ui.formulaNote.textContent = status.note;
  ui.formulaNote.classList.toggle("error", status.error !== undefined);
  // NOTE: a rejected formula is applied too, as a rejected number is: the network is dropped and
  // training is off until it is fixed, rather than the previous activation training on unseen.
  const field = status.error?.startsWith("f′(x)") ? ui.formulaDf : ui.formulaF;
  update({ activation: "formula", formulaF: f.trim(), formulaDf: df.trim() }, status.error === undefined ? undefined : field);
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
/** Shows the link in a selected text field, for when the clipboard API is missing or refused. */
function showShareField(url: string): void {
  ui.shareUrl.hidden = false;
  ui.shareUrl.value = url;
  ui.shareUrl.focus();
  ui.shareUrl.select();
  let copied = false;
  try {
    // NOTE: deprecated, but the only way to copy on plain http (no navigator.clipboard there)
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  }
  flash(copied ? "Copied" : "Select and copy the link");
}

function flash(text: string): void {
  ui.copyLink.textContent = text;
  setTimeout(() => (ui.copyLink.textContent = "Copy link"), 1500);
}

ui.copyLink.addEventListener("click", () => {
  const url = new URL(ui.share.href, location.href).href;
  // NOTE: navigator.clipboard exists only in secure contexts (https, localhost): not on plain http
  // on a LAN address, where the link is shown in a field to copy by hand.
  const clipboard = (navigator as Partial<Navigator>).clipboard;
  if (!clipboard || typeof clipboard.writeText !== "function") {
    showShareField(url);
    return;
  }
  clipboard.writeText(url).then(
    () => {
      ui.shareUrl.hidden = true;
      flash("Copied");
    },
    () => showShareField(url),
  );
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
// NOTE: canvases are drawn at the device's pixels for their CSS size, so a new size (a rotated
// phone, a scroll bar that came or went, another zoom) redraws them.
let resizeFrame = 0;
const redraw = (): void => {
  cancelAnimationFrame(resizeFrame);
  resizeFrame = requestAnimationFrame(() => {
    if (last) render(last);
  });
};
const canvasWidths = new Map<Element, number>();
const canvasObserver = new ResizeObserver((entries) => {
  let changed = false;
  for (const entry of entries) {
    const width = entry.contentRect.width;
    if (canvasWidths.get(entry.target) !== width) changed = true;
    canvasWidths.set(entry.target, width);
  }
  if (changed) redraw();
});
for (const canvas of [ui.network, ui.heatmap, ui.lossChart]) canvasObserver.observe(canvas);
window.addEventListener("resize", redraw);
matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener("change", redraw);

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
