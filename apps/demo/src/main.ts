import { mountBackpropView } from "./backprop-view.js";
import {
  CLASSIFICATION_DATASETS, DATASET_LABELS, MULTICLASS_DATASETS, REGRESSION_DATASETS, generateDataset, splitDataset, type DatasetName, type Point,
} from "./datasets.js";
import { drawGradientFlow, drawLoss, drawNetwork, drawNeuronMap, drawOutput, renderConfusion, type LossLine, type NetworkLayout, type NetworkTarget, type OutputLayout } from "./draw.js";
import { FEATURES, FEATURE_LABELS, featureMatrix, type FeatureName } from "./features.js";
import { FormulaError, formulaActivation } from "./formula-activation.js";
import { LESSONS } from "./lessons.js";
import { LIVE_FIELDS, VIEW_FIELDS, buildModel, changedFields, stateProblem } from "./model.js";
import { formatValue, mountNetworkHover } from "./network-hover.js";
import { OPTIMIZER_NAMES, defaultLearningRate, optimizerDefaults, type HyperValue } from "./optimizer-catalog.js";
import type { FromWorker, LayerWeights, Snapshot, ToWorker } from "./protocol.js";
import { MAX_LINK_LENGTH, ShareBlobError, decodeShareBlob, encodeShareBlob } from "./share-blob.js";
import {
  ACTIVATIONS, INITIALIZERS, MAX_LAYERS, MAX_NEURONS, decodeState, encodeState, outputKind, stateClasses,
  type DemoState, type InitializerName, type ProblemType, type RegularizationKind,
} from "./state.js";
import { UserDataError, parsePointsCsv, pointsToCsv } from "./user-data.js";
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
  shareWeights: $<HTMLInputElement>("share-weights"),
  exportModel: $<HTMLButtonElement>("export"),
  importModel: $<HTMLInputElement>("import-model"),
  notice: $<HTMLParagraphElement>("notice"),
  problem: $<HTMLSelectElement>("problem"),
  dataset: $<HTMLSelectElement>("dataset"),
  noise: $<HTMLInputElement>("noise"),
  noiseValue: $<HTMLOutputElement>("noise-value"),
  trainRatio: $<HTMLInputElement>("train-ratio"),
  trainRatioValue: $<HTMLOutputElement>("train-ratio-value"),
  batchSize: $<HTMLInputElement>("batch-size"),
  batchSizeValue: $<HTMLOutputElement>("batch-size-value"),
  regenerate: $<HTMLButtonElement>("regenerate"),
  uploadCsv: $<HTMLInputElement>("upload-csv"),
  downloadCsv: $<HTMLButtonElement>("download-csv"),
  features: $<HTMLDivElement>("features"),
  addLayer: $<HTMLButtonElement>("add-layer"),
  removeLayer: $<HTMLButtonElement>("remove-layer"),
  layerCount: $<HTMLOutputElement>("layer-count"),
  layerControls: $<HTMLDivElement>("layer-controls"),
  network: $<HTMLCanvasElement>("network"),
  tooltip: $<HTMLDivElement>("tooltip"),
  weightEditor: $<HTMLFormElement>("weight-editor"),
  weightValue: $<HTMLInputElement>("weight-value"),
  weightLabel: $<HTMLLabelElement>("weight-label"),
  weightCancel: $<HTMLButtonElement>("weight-cancel"),
  activation: $<HTMLSelectElement>("activation"),
  initializer: $<HTMLSelectElement>("initializer"),
  seed: $<HTMLInputElement>("seed"),
  reinit: $<HTMLButtonElement>("reinit"),
  optimizer: $<HTMLSelectElement>("optimizer"),
  compare: $<HTMLSelectElement>("compare"),
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
  compareLosses: $<HTMLDListElement>("compare-losses"),
  compareName: $<HTMLSpanElement>("compare-name"),
  testLossB: $<HTMLOutputElement>("test-loss-b"),
  trainLossB: $<HTMLOutputElement>("train-loss-b"),
  testAccuracyB: $<HTMLOutputElement>("test-accuracy-b"),
  accuracyRowB: $<HTMLDivElement>("accuracy-row-b"),
  lossChart: $<HTMLCanvasElement>("loss-chart"),
  logLoss: $<HTMLInputElement>("log-loss"),
  heatmap: $<HTMLCanvasElement>("heatmap"),
  heatmapCaption: $<HTMLElement>("heatmap-caption"),
  heatmapB: $<HTMLCanvasElement>("heatmap-b"),
  heatmapBFigure: $<HTMLElement>("heatmap-b-figure"),
  heatmapBCaption: $<HTMLElement>("heatmap-b-caption"),
  showTest: $<HTMLInputElement>("show-test"),
  discretize: $<HTMLInputElement>("discretize"),
  addClass: $<HTMLSelectElement>("add-class"),
  gradientFlow: $<HTMLCanvasElement>("gradient-flow"),
  confusionSection: $<HTMLElement>("confusion-section"),
  confusion: $<HTMLTableElement>("confusion"),
  error: $<HTMLParagraphElement>("error"),
  speed: $<HTMLSelectElement>("speed"),
  lessons: $<HTMLUListElement>("lessons"),
};

/** What the controls show; it may be invalid (a rejected hyperparameter or formula) while being edited. */
let state: DemoState = decodeState(location.hash);
/** The state the worker trains, or undefined when the controls hold an invalid configuration. */
let running: DemoState | undefined;
/** Tags each configure; answers about an older configuration are dropped (no stale errors). */
let run = 0;
let train: Point[] = [];
let test: Point[] = [];
/** The user's own points (an uploaded CSV, or points added by clicks), split once into train and test. */
let custom: { train: Point[]; test: Point[]; classNames: string[] } | undefined;
let last: Snapshot | undefined;
let lastB: Snapshot | undefined;
let playing = false;
let networkLayout: NetworkLayout | undefined;
let outputLayout: OutputLayout | undefined;
let highlight: NetworkTarget | undefined;
/** The neuron whose map is shown large in the output view while hovered. */
let shownNeuron: { layer: number; unit: number } | undefined;

/** A training worker: the main one, or the one of the compared optimizer. */
interface Trainer {
  readonly worker: Worker;
  send(msg: ToWorker): void;
}

function startWorker(onMessage: (msg: FromWorker) => void): Trainer {
  const worker = new Worker(new URL("./training-worker.ts", import.meta.url), { type: "module" });
  worker.addEventListener("message", (event: MessageEvent<FromWorker>) => onMessage(event.data));
  worker.addEventListener("error", (event) => {
    setPlaying(false);
    showError(`The training worker failed: ${event.message}`);
  });
  return { worker, send: (msg) => worker.postMessage(msg) };
}

const main = startWorker(onMainMessage);
/** The second optimizer's worker (another core), started when "Compare with" is set. */
let second: Trainer | undefined;
const send = (msg: ToWorker): void => main.send(msg);
/** Sends to both trainers (play, pause, step run in lockstep). */
const sendAll = (msg: ToWorker): void => {
  main.send(msg);
  second?.send(msg);
};

function option(value: string, label: string): HTMLOptionElement {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

const activationLabel = (a: string): string => (a === "formula" ? "Custom formula…" : a);
ui.activation.append(option("mixed", "(set per layer)"), ...ACTIVATIONS.map((a) => option(a, activationLabel(a))));
(ui.activation.options[0] as HTMLOptionElement).disabled = true;
ui.optimizer.append(...OPTIMIZER_NAMES.map((o) => option(o, o)));
ui.compare.append(option("", "(none)"), ...OPTIMIZER_NAMES.map((o) => option(o, o)));
const INITIALIZER_LABELS: Readonly<Record<InitializerName, string>> = {
  glorotUniform: "Glorot uniform", glorotNormal: "Glorot normal", heUniform: "He uniform", heNormal: "He normal",
  lecunNormal: "LeCun normal", randomNormal: "Small random (σ 0.05)", zeros: "Zeros",
};
ui.initializer.append(...INITIALIZERS.map((name) => option(name, INITIALIZER_LABELS[name])));

/** The state the compared optimizer trains: the same network and seed, its own optimizer defaults. */
function compareState(s: DemoState): DemoState {
  return { ...s, optimizer: s.compare, hyper: optimizerDefaults(s.compare), lr: defaultLearningRate(s.compare), compare: "" };
}

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

let noticeTimer: ReturnType<typeof setTimeout> | undefined;
/** A passing message (a file read, a link too long) that needs no action. */
function notify(message: string, error = false): void {
  ui.notice.hidden = false;
  ui.notice.textContent = message;
  ui.notice.classList.toggle("error", error);
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (ui.notice.hidden = true), error ? 15_000 : 8_000);
}

/** Marks the control whose value was rejected (at most one), for people and screen readers. */
function markInvalid(control: HTMLElement | undefined): void {
  for (const el of document.querySelectorAll("[aria-invalid='true']")) if (el !== control) el.setAttribute("aria-invalid", "false");
  control?.setAttribute("aria-invalid", "true");
}

/** Enables or disables what needs a trainable network. */
function setTrainable(value: boolean): void {
  for (const button of [ui.play, ui.step, ui.reset, ui.exportModel, ui.reinit]) button.disabled = !value;
}

/** Forgets the drawn network: after a rejected edit nothing on screen may suggest it still trains. */
function clearPictures(): void {
  last = undefined;
  lastB = undefined;
  networkLayout = undefined;
  for (const canvas of [ui.network, ui.heatmap, ui.heatmapB, ui.lossChart, ui.gradientFlow]) {
    const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
  }
  for (const out of [ui.testLoss, ui.trainLoss, ui.testAccuracy, ui.penalty, ui.testLossB, ui.trainLossB, ui.testAccuracyB]) {
    out.textContent = "–";
    delete out.dataset["value"];
  }
  ui.confusion.replaceChildren();
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

const DROPOUT_RATES = [0, 0.1, 0.2, 0.3, 0.5] as const;

/** A labelled select of a layer group: its activation or its dropout rate. */
function layerSelect(i: number, what: "activation" | "dropout"): HTMLElement {
  const select = document.createElement("select");
  select.id = `layer-${i}-${what}`;
  select.className = "narrow";
  const label = document.createElement("label");
  label.htmlFor = select.id;
  label.className = "visually-hidden";
  label.textContent = what === "activation" ? `Activation of layer ${i + 1}` : `Dropout after layer ${i + 1}`;
  if (what === "activation") {
    select.append(...ACTIVATIONS.map((a) => option(a, a === "formula" ? "formula" : a)));
    select.addEventListener("change", () => {
      const activations = state.activations.map((a, j) => (j === i ? select.value : a));
      if (select.value === "formula") ui.formula.hidden = false;
      update({ activations }, select);
    });
  } else {
    select.append(...DROPOUT_RATES.map((r) => option(String(r), r === 0 ? "no dropout" : `dropout ${r}`)));
    select.addEventListener("change", () => update({ dropout: state.dropout.map((d, j) => (j === i ? Number(select.value) : d)) }, select));
  }
  const wrap = document.createElement("div");
  wrap.append(label, select);
  return wrap;
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
        const counter = document.createElement("div");
        counter.className = "counter";
        counter.append(layerButton(i, -1), document.createElement("span"), layerButton(i, 1));
        group.append(counter, layerSelect(i, "activation"), layerSelect(i, "dropout"));
        return group;
      }),
    );
  }
  state.hidden.forEach((units, i) => {
    const minus = document.getElementById(`layer-${i}-remove`) as HTMLButtonElement;
    const plus = document.getElementById(`layer-${i}-add`) as HTMLButtonElement;
    const text = minus.nextElementSibling as HTMLSpanElement;
    minus.disabled = units <= 1;
    plus.disabled = units >= MAX_NEURONS;
    text.textContent = `${units} neuron${units === 1 ? "" : "s"}`;
    (document.getElementById(`layer-${i}-activation`) as HTMLSelectElement).value = state.activations[i] ?? "tanh";
    (document.getElementById(`layer-${i}-dropout`) as HTMLSelectElement).value = String(state.dropout[i] ?? 0);
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

/** The class names of the current data (the user's own for uploaded data). */
function classNames(): string[] {
  const classes = stateClasses(state);
  if (state.dataset === "custom" && custom && custom.classNames.length === classes) return custom.classNames;
  return Array.from({ length: classes }, (_, i) => `class ${i}`);
}

/** Writes the state into every control (the controls never hold anything the state does not). */
function renderControls(): void {
  ui.problem.value = state.problem;
  const names: readonly DatasetName[] =
    state.problem === "regression" ? REGRESSION_DATASETS : [...CLASSIFICATION_DATASETS, ...MULTICLASS_DATASETS];
  const entries = names.map((n) => option(n, DATASET_LABELS[n]));
  if (state.dataset === "custom") entries.push(option("custom", "Your data"));
  ui.dataset.replaceChildren(...entries);
  ui.dataset.value = state.dataset;
  ui.noise.value = String(state.noise);
  ui.noiseValue.textContent = `${state.noise}%`;
  ui.noise.disabled = state.dataset === "custom";
  ui.regenerate.disabled = state.dataset === "custom";
  ui.trainRatio.value = String(state.trainRatio);
  ui.trainRatioValue.textContent = `${state.trainRatio}%`;
  ui.batchSize.value = String(state.batchSize);
  ui.batchSizeValue.textContent = String(state.batchSize);

  for (const f of FEATURES) (document.getElementById(`feature-${f}`) as HTMLInputElement).checked = state.features.includes(f);

  ui.layerCount.textContent = String(state.hidden.length);
  ui.addLayer.disabled = state.hidden.length >= MAX_LAYERS;
  ui.removeLayer.disabled = state.hidden.length === 0;
  renderLayerControls();

  const shared = state.activations.every((a) => a === state.activations[0]);
  ui.activation.value = state.activations.length === 0 ? "tanh" : shared ? (state.activations[0] as string) : "mixed";
  ui.formula.hidden = !state.activations.includes("formula");
  if (document.activeElement !== ui.formulaF) ui.formulaF.value = state.formulaF;
  if (document.activeElement !== ui.formulaDf) ui.formulaDf.value = state.formulaDf;
  ui.initializer.value = state.initializer;
  if (document.activeElement !== ui.seed) ui.seed.value = String(state.seed);
  ui.optimizer.value = state.optimizer;
  ui.compare.value = state.compare;
  ui.lr.value = String(state.lr);
  ui.regularization.value = state.regularization;
  ui.regRate.value = String(state.regRate);
  ui.regRate.disabled = state.regularization === "none";
  ui.penaltyRow.hidden = state.regularization === "none";
  ui.discretize.checked = state.discretize;
  ui.logLoss.checked = state.logLoss;

  renderHyperparameters();
  const classification = state.problem === "classification";
  ui.accuracyRow.hidden = !classification;
  ui.accuracyRowB.hidden = !classification;
  ui.confusionSection.hidden = !classification;
  ui.compareLosses.hidden = state.compare === "";
  ui.heatmapBFigure.hidden = state.compare === "";
  ui.compareName.textContent = state.compare;
  ui.heatmapCaption.textContent = state.compare === "" ? "Output" : `Output, ${state.optimizer}`;
  ui.heatmapBCaption.textContent = `Output, ${state.compare}`;

  const addValue = ui.addClass.value;
  const addOptions = [option("", "nothing")];
  if (classification) classNames().forEach((name, i) => addOptions.push(option(String(i), name)));
  else for (const v of ["1", "0.5", "0", "-0.5", "-1"]) addOptions.push(option(v, `value ${v}`));
  ui.addClass.replaceChildren(...addOptions);
  ui.addClass.value = [...ui.addClass.options].some((o) => o.value === addValue) ? addValue : "";

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

/** The points of the state's data set (generated, or the user's own), split into train and test. */
function currentPoints(): { train: Point[]; test: Point[] } {
  if (state.dataset === "custom") {
    if (custom) return { train: custom.train, test: custom.test };
    // NOTE: a link to the user's own data that does not carry the points (typed by hand, or an
    // edit after opening it) falls back to a data set of the same kind
    notify("This link names your own data, but the points are not in it: showing a built-in data set instead.", true);
    const fallback: DatasetName = state.customClasses === 1 ? "plane" : state.customClasses === 2 ? "circle" : state.customClasses === 3 ? "blobs3" : state.customClasses === 4 ? "blobs4" : "spiral5";
    state = { ...state, dataset: fallback };
  }
  const points = generateDataset(state.dataset, { noise: state.noise / 100, seed: state.dataSeed });
  return splitDataset(points, state.trainRatio / 100);
}

/**
 * Regenerates the points and rebuilds the network in the worker (training starts over); `weights`
 * (a shared link's, an imported model's) replace the initial ones.
 */
function configure(weights?: readonly LayerWeights[]): void {
  const problem = stateProblem(state);
  setPlaying(false);
  if (problem !== undefined) {
    // NOTE: the worker would reject it too (same code); drop its network so ▶ cannot pretend to
    // train a model the controls no longer describe.
    running = undefined;
    sendAll({ type: "discard" });
    clearPictures();
    setTrainable(false);
    showError(`Not applied — ${problem}. Training is off until this is fixed.`);
    renderControls();
    stepper.refresh();
    return;
  }
  ({ train, test } = currentPoints());
  showError(undefined);
  markInvalid(undefined);
  setTrainable(true);
  last = undefined;
  lastB = undefined;
  running = state;
  run++;
  send({ type: "configure", run, state, train, test, ...(weights ? { weights } : {}) });
  configureSecond(weights);
}

/** Starts, restarts or stops the compared optimizer's worker to match `running`. */
function configureSecond(weights?: readonly LayerWeights[]): void {
  if (!running || running.compare === "") {
    second?.worker.terminate();
    second = undefined;
    lastB = undefined;
    return;
  }
  second ??= startWorker(onSecondMessage);
  second.send({ type: "configure", run, state: compareState(running), train, test, ...(weights ? { weights } : {}) });
}

/**
 * Applies an edit: view options redraw, the learning rate, regularization and batch size change
 * the running network live, "Compare with" starts or stops the second trainer, and anything else
 * rebuilds the network. `control` is the field edited, marked invalid when the edit is rejected.
 */
function update(patch: Partial<DemoState>, control?: HTMLElement): void {
  const previous = running;
  state = { ...state, ...patch };
  const problem = stateProblem(state);
  if (problem === undefined) history.replaceState(null, "", `#${encodeState(state)}`);
  const changed = previous ? changedFields(previous, state) : undefined;
  if (problem === undefined && previous !== undefined && changed !== undefined) {
    const rest = changed.filter((k) => !VIEW_FIELDS.has(k));
    if (rest.every((k) => LIVE_FIELDS.has(k) || k === "compare")) {
      running = state;
      showError(undefined);
      markInvalid(undefined);
      if (rest.some((k) => LIVE_FIELDS.has(k))) {
        send({ type: "tune", state });
        if (second && state.compare !== "") second.send({ type: "tune", state: compareState(state) });
      }
      if (rest.includes("compare")) {
        // NOTE: the compared run starts from the same initial weights, so both start over
        configure();
      }
      renderControls();
      // NOTE: only a view option changes the pictures; a live setting shows in the next frame
      if (last && changed.some((k) => VIEW_FIELDS.has(k))) render(last);
      return;
    }
  }
  configure();
  if (problem !== undefined) markInvalid(control);
  renderControls();
}

/** "layer 1" … "output": names of the Dense layers for charts. */
function layerNames(): string[] {
  return [...state.hidden.map((_, i) => `layer ${i + 1}`), "output"];
}

function neuronName(layer: number, unit: number): string {
  if (layer === 0) return FEATURE_LABELS[state.features[unit] as FeatureName] ?? `input ${unit + 1}`;
  if (layer === state.hidden.length + 1) {
    return outputKind(state) === "multiclass" ? `output (${classNames()[unit] ?? unit})` : "output";
  }
  return `neuron ${unit + 1} of layer ${layer}`;
}

function showNumber(out: HTMLOutputElement, value: number | undefined, format: (v: number) => string): void {
  if (value === undefined || Number.isNaN(value)) {
    out.textContent = "–";
    delete out.dataset["value"];
    return;
  }
  out.textContent = format(value);
  out.dataset["value"] = String(value);
}

const percent = (v: number): string => `${(v * 100).toFixed(1)}%`;
const fixed3 = (v: number): string => v.toFixed(3);

function drawOutputOf(canvas: HTMLCanvasElement, s: Snapshot): OutputLayout {
  const kind = outputKind(state);
  canvas.dataset["grid"] = String(s.grid);
  return drawOutput(canvas, {
    values: s.maps[s.maps.length - 1],
    grid: s.grid,
    kind,
    classes: stateClasses(state),
    train,
    test,
    showTest: ui.showTest.checked,
    discretize: state.discretize,
  });
}

function lossLines(): LossLine[] {
  const lines: LossLine[] = [];
  const suffix = state.compare === "" ? "" : ` (${state.optimizer})`;
  if (last) {
    lines.push({ label: `training${suffix}`, color: "#333", epochs: last.history.epochs, values: last.history.train });
    lines.push({ label: `test${suffix}`, color: "#0877bd", epochs: last.history.epochs, values: last.history.test });
  }
  if (lastB && state.compare !== "") {
    lines.push({ label: `training (${state.compare})`, color: "#333", dashed: true, epochs: lastB.history.epochs, values: lastB.history.train });
    lines.push({ label: `test (${state.compare})`, color: "#0877bd", dashed: true, epochs: lastB.history.epochs, values: lastB.history.test });
  }
  return lines;
}

function drawNetworkOf(s: Snapshot): void {
  networkLayout = drawNetwork(ui.network, {
    inputLabels: state.features.map((f) => FEATURE_LABELS[f]),
    weights: s.weights,
    maps: s.maps,
    grid: s.grid,
    kind: outputKind(state),
    ...(highlight ? { highlight } : {}),
  });
}

/** Shows the hovered neuron's map in the output view, or the output. */
function drawMainOutput(s: Snapshot): void {
  const neuron = shownNeuron;
  if (neuron && s.maps[neuron.layer]) {
    drawNeuronMap(ui.heatmap, { maps: s.maps, grid: s.grid, kind: outputKind(state), layer: neuron.layer, unit: neuron.unit });
    ui.heatmapCaption.textContent = `Hovered: ${neuronName(neuron.layer, neuron.unit)}`;
    return;
  }
  ui.heatmapCaption.textContent = state.compare === "" ? "Output" : `Output, ${state.optimizer}`;
  outputLayout = drawOutputOf(ui.heatmap, s);
}

function render(s: Snapshot): void {
  const first = last === undefined;
  last = s;
  ui.epoch.textContent = String(s.epoch).padStart(6, "0");
  ui.epoch.dataset["value"] = String(s.epoch);
  showNumber(ui.testLoss, s.testLoss, fixed3);
  showNumber(ui.trainLoss, s.trainLoss, fixed3);
  showNumber(ui.penalty, s.penalty, fixed3);
  // what the worker trains with now (the learning rate and batch size change live)
  ui.lr.dataset["applied"] = String(s.lr);
  ui.batchSize.dataset["applied"] = String(s.batchSize);
  showNumber(ui.testAccuracy, s.testAccuracy, percent);
  drawNetworkOf(s);
  drawMainOutput(s);
  drawLoss(ui.lossChart, lossLines(), { log: state.logLoss, epoch: Math.max(s.epoch, lastB?.epoch ?? 0) });
  drawGradientFlow(ui.gradientFlow, { epochs: s.gradientFlow.epochs, norms: s.gradientFlow.norms, labels: layerNames() });
  // the chart's numbers in words, for screen readers (and tests): the latest norm of each layer
  const latest = s.gradientFlow.norms.map((series, i) => `${layerNames()[i]} ${formatValue(series[series.length - 1] ?? Number.NaN)}`);
  ui.gradientFlow.setAttribute(
    "aria-label",
    s.gradientFlow.epochs.length === 0
      ? "Gradient norm of each layer over the epochs (no epoch trained yet)"
      : `Gradient norm of each layer at epoch ${s.gradientFlow.epochs[s.gradientFlow.epochs.length - 1]}: ${latest.join(", ")}`,
  );
  if (s.confusion) {
    renderConfusion(ui.confusion, s.confusion, classNames());
    ui.confusion.dataset["total"] = String(s.confusion.flat().reduce((a, b) => a + b, 0));
  }
  hover.refresh();
  // the stepper traces the network it was given: a new run's first picture gives it one
  if (first) stepper.refresh();
}

function renderSecond(s: Snapshot): void {
  lastB = s;
  showNumber(ui.testLossB, s.testLoss, fixed3);
  showNumber(ui.trainLossB, s.trainLoss, fixed3);
  showNumber(ui.testAccuracyB, s.testAccuracy, percent);
  ui.heatmapB.dataset["epoch"] = String(s.epoch);
  drawOutputOf(ui.heatmapB, s);
  if (last) drawLoss(ui.lossChart, lossLines(), { log: state.logLoss, epoch: Math.max(s.epoch, last.epoch) });
}

function downloadText(text: string, type: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function onMainMessage(msg: FromWorker): void {
  if (msg.type === "snapshot") {
    try {
      if (msg.run === run && running !== undefined) render(msg);
    } finally {
      send({ type: "ack" });
    }
  } else if (msg.type === "error") {
    if (msg.run !== run || running === undefined) return;
    setPlaying(false);
    second?.send({ type: "pause" });
    showError(`Training stopped: ${msg.message}`);
  } else if (msg.type === "tuned") {
    if (msg.run !== run) return;
    ui.lr.dataset["applied"] = String(msg.lr);
    ui.batchSize.dataset["applied"] = String(msg.batchSize);
  } else if (msg.type === "export") {
    downloadText(msg.json, "application/json", `backprop-playground-${state.dataset}.json`);
  } else if (msg.type === "imported") {
    state = decodeState(msg.hash);
    custom = undefined;
    history.replaceState(null, "", `#${encodeState(state)}`);
    renderControls();
    configure(msg.weights);
    renderControls();
    notify(msg.note);
  } else if (msg.type === "importError") {
    notify(`Not imported — ${msg.message}`, true);
  }
}

function onSecondMessage(msg: FromWorker): void {
  if (msg.type === "snapshot") {
    try {
      if (msg.run === run && running !== undefined && running.compare !== "") renderSecond(msg);
    } finally {
      second?.send({ type: "ack" });
    }
  } else if (msg.type === "error") {
    if (msg.run !== run || running === undefined) return;
    showError(`The compared optimizer (${state.compare}) stopped: ${msg.message}`);
  }
}

// ---- controls → state
ui.play.addEventListener("click", () => {
  if (running === undefined) return;
  setPlaying(!playing);
  sendAll(playing ? { type: "play", epochsPerFrame: Number(ui.speed.value) } : { type: "pause" });
});
ui.speed.addEventListener("change", () => {
  if (playing) sendAll({ type: "play", epochsPerFrame: Number(ui.speed.value) });
});
ui.step.addEventListener("click", () => {
  if (running === undefined) return;
  setPlaying(false);
  sendAll({ type: "step" });
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
  input.addEventListener("change", () => {
    if (key === "trainRatio" && custom) custom = { ...splitDataset([...custom.train, ...custom.test], Number(input.value) / 100), classNames: custom.classNames };
    update({ [key]: Number(input.value) }, input);
  });
};
slider(ui.noise, ui.noiseValue, "%", "noise");
slider(ui.trainRatio, ui.trainRatioValue, "%", "trainRatio");
slider(ui.batchSize, ui.batchSizeValue, "", "batchSize");
ui.addLayer.addEventListener("click", () =>
  update({
    hidden: [...state.hidden, 2],
    activations: [...state.activations, state.activations[state.activations.length - 1] ?? "tanh"],
    dropout: [...state.dropout, 0],
  }),
);
ui.removeLayer.addEventListener("click", () =>
  update({ hidden: state.hidden.slice(0, -1), activations: state.activations.slice(0, -1), dropout: state.dropout.slice(0, -1) }),
);
// NOTE: each optimizer starts from its own learning rate: Adadelta stalls at Adam's, Adam fails
// the spiral at SGD's.
ui.optimizer.addEventListener("change", () =>
  update({ optimizer: ui.optimizer.value, hyper: optimizerDefaults(ui.optimizer.value) as Record<string, HyperValue>, lr: defaultLearningRate(ui.optimizer.value) }),
);
ui.compare.addEventListener("change", () => update({ compare: ui.compare.value }));
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
ui.initializer.addEventListener("change", () => update({ initializer: ui.initializer.value as InitializerName }));
ui.seed.addEventListener("change", () => {
  const v = Number(ui.seed.value);
  if (!Number.isInteger(v) || v < 0 || v > 2 ** 31) {
    ui.seed.value = String(state.seed);
    return;
  }
  update({ seed: v }, ui.seed);
});
// "New random weights": the next seed, nothing else changes
ui.reinit.addEventListener("click", () => update({ seed: (state.seed + 1) % 2 ** 31 }));

function applyFormula(): void {
  const f = ui.formulaF.value;
  const df = ui.formulaDf.value;
  const status = formulaStatus(f, df);
  ui.formulaNote.textContent = status.note;
  ui.formulaNote.classList.toggle("error", status.error !== undefined);
  // NOTE: a rejected formula is applied too, as a rejected number is: the network is dropped and
  // training is off until it is fixed, rather than the previous activation training on unseen.
  const field = status.error?.startsWith("f′(x)") ? ui.formulaDf : ui.formulaF;
  // the global picker's "Custom formula…" sets every layer; a formula typed for per-layer use keeps the others
  const activations = state.activations.includes("formula") ? state.activations : state.activations.map(() => "formula");
  update({ activations, formulaF: f.trim(), formulaDf: df.trim() }, status.error === undefined ? undefined : field);
}
ui.activation.addEventListener("change", () => {
  if (ui.activation.value === "formula") {
    ui.formula.hidden = false;
    state = { ...state, activations: state.activations.map(() => "formula") };
    applyFormula();
  } else {
    update({ activations: state.activations.map(() => ui.activation.value) });
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
  if (lastB) renderSecond(lastB);
});
ui.discretize.addEventListener("change", () => update({ discretize: ui.discretize.checked }));
ui.logLoss.addEventListener("change", () => update({ logLoss: ui.logLoss.checked }));

// ---- the user's own data: upload, download, click to add
ui.uploadCsv.addEventListener("change", async () => {
  const file = ui.uploadCsv.files?.[0];
  ui.uploadCsv.value = "";
  if (!file) return;
  try {
    const data = parsePointsCsv(await file.text(), file.name);
    custom = { ...splitDataset(data.points, state.trainRatio / 100), classNames: data.classNames };
    const classes = data.kind === "regression" ? 1 : data.classes;
    notify(
      `Read ${data.points.length} points of ${file.name}` +
        (data.kind === "regression" ? (data.labelsScaled ? ", labels scaled into [−1, 1]" : "") : `, ${classes} classes`) +
        (data.scaled !== 1 ? `, coordinates scaled by ${Number(data.scaled.toPrecision(3))} to fit the plane` : "") +
        ".",
    );
    update({ dataset: "custom", customClasses: classes, problem: classes === 1 ? "regression" : "classification" });
  } catch (error) {
    if (error instanceof UserDataError) notify(`Not loaded — ${error.message}`, true);
    else throw error;
  }
});
ui.downloadCsv.addEventListener("click", () => {
  const names = state.problem === "classification" ? classNames() : undefined;
  downloadText(pointsToCsv([...train, ...test], names), "text/csv", `backprop-playground-${state.dataset}.csv`);
});
ui.heatmap.addEventListener("click", (e) => {
  if (ui.addClass.value === "" || !outputLayout || running === undefined) return;
  const box = ui.heatmap.getBoundingClientRect();
  const at = outputLayout.toPlane(e.clientX - box.left, e.clientY - box.top);
  if (!at) return;
  // NOTE: the first click turns the built-in points into the user's own, so the new point joins them
  const label = Number(ui.addClass.value);
  custom ??= { train: [...train], test: [...test], classNames: classNames() };
  custom = { ...custom, train: [...custom.train, { x: at.x, y: at.y, label }] };
  train = custom.train;
  test = custom.test;
  if (state.dataset !== "custom") {
    state = { ...state, dataset: "custom", customClasses: stateClasses(state) };
    running = state;
    history.replaceState(null, "", `#${encodeState(state)}`);
    renderControls();
  }
  ui.heatmap.dataset["points"] = String(train.length + test.length);
  // the network keeps training on the new points: same weights, same epoch
  sendAll({ type: "data", train, test });
  if (last) drawMainOutput(last);
});

// ---- the network picture: hover and edit
const hover = mountNetworkHover({
  canvas: ui.network,
  tooltip: ui.tooltip,
  editor: ui.weightEditor,
  editorInput: ui.weightValue,
  editorLabel: ui.weightLabel,
  editorCancel: ui.weightCancel,
  layout: () => networkLayout,
  values: () => (last ? { weights: last.weights, gradients: last.gradients } : undefined),
  neuronName,
  onNeuron: (target) => {
    shownNeuron = target;
    if (last) drawMainOutput(last);
  },
  onHighlight: (target) => {
    highlight = target;
    if (last) drawNetworkOf(last);
  },
  onEdit: (layer, from, to, value) => send({ type: "setWeight", layer, from, to, value }),
});

// ---- share, export, import
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

/**
 * The link to share: the configuration, plus (compressed) the trained weights when asked and the
 * user's own points when the data is theirs. A link too long for chat apps and some browsers
 * drops the weights, and says so.
 */
async function shareLink(): Promise<string> {
  const base = new URL(ui.share.href, location.href);
  const points = running?.dataset === "custom" && custom ? [...custom.train, ...custom.test] : undefined;
  const weights = ui.shareWeights.checked && last ? last.weights : undefined;
  if (!points && !weights) return base.href;
  const withBlob = async (w: typeof weights): Promise<string> => {
    const blob = await encodeShareBlob({ ...(w ? { weights: w } : {}), ...(points ? { points } : {}) });
    return `${base.href}&blob=${blob}`;
  };
  let full: string;
  try {
    full = await withBlob(weights);
  } catch (error) {
    // weights that are not finite float32 numbers (a diverged run) cannot travel in a link
    if (!(error instanceof ShareBlobError) || !weights) throw error;
    notify(`The trained weights cannot go in a link (${error.message}): copied without them.`, true);
    return points ? await withBlob(undefined) : base.href;
  }
  if (full.length <= MAX_LINK_LENGTH) return full;
  if (weights) {
    const lighter = points ? await withBlob(undefined) : base.href;
    notify(`With the trained weights the link is ${full.length.toLocaleString("en")} characters (over ${MAX_LINK_LENGTH.toLocaleString("en")}): copied without them. Export the model to share them.`, true);
    if (lighter.length <= MAX_LINK_LENGTH) return lighter;
  }
  notify(`Your data makes the link ${full.length.toLocaleString("en")} characters long (over ${MAX_LINK_LENGTH.toLocaleString("en")}): it may not open everywhere. Download the CSV to share the data.`, true);
  return full;
}

ui.copyLink.addEventListener("click", async () => {
  const url = await shareLink();
  ui.copyLink.dataset["url"] = url;
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
ui.importModel.addEventListener("change", async () => {
  const file = ui.importModel.files?.[0];
  ui.importModel.value = "";
  if (!file) return;
  send({ type: "import", text: await file.text(), fileName: file.name });
});

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
    if (lastB) renderSecond(lastB);
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
for (const canvas of [ui.network, ui.heatmap, ui.heatmapB, ui.lossChart, ui.gradientFlow]) canvasObserver.observe(canvas);
window.addEventListener("resize", redraw);
matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener("change", redraw);

/** Opens a link: its configuration, and its compressed weights and points when it carries them. */
async function openLink(hash: string): Promise<void> {
  state = decodeState(hash);
  const blobText = new URLSearchParams(hash.startsWith("#") ? hash.slice(1) : hash).get("blob");
  let weights: readonly LayerWeights[] | undefined;
  if (blobText) {
    try {
      const blob = await decodeShareBlob(blobText);
      if (blob.points && state.dataset === "custom") {
        custom = { ...splitDataset(blob.points, state.trainRatio / 100), classNames: Array.from({ length: stateClasses(state) }, (_, i) => `class ${i}`) };
      }
      weights = blob.weights;
    } catch (error) {
      if (!(error instanceof ShareBlobError)) throw error;
      notify(`The link's weights or points could not be read (${error.message}): starting from fresh weights.`, true);
    }
  }
  renderControls();
  configure(weights);
}

window.addEventListener("hashchange", () => {
  const next = decodeState(location.hash);
  if (encodeState(next) === encodeState(state) && !location.hash.includes("blob=")) return;
  void openLink(location.hash);
});

// ---- lessons
ui.lessons.replaceChildren(
  ...LESSONS.map((lesson) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `#${lesson.hash}`;
    a.id = `lesson-${lesson.id}`;
    a.textContent = lesson.title;
    const p = document.createElement("p");
    p.textContent = lesson.text;
    li.append(a, p);
    return li;
  }),
);

// ---- the backprop stepper, on the playground's own network
const stepper = mountBackpropView($("backprop"), {
  model: () => {
    if (!running || !last) return undefined;
    const model = buildModel(running);
    model.setWeights(last.weights.flatMap((w) => [w.kernel, w.bias]));
    return model;
  },
  points: () => {
    if (!running) return [];
    const s = running;
    const kind = outputKind(s);
    const classes = stateClasses(s);
    const names = classNames();
    const features = featureMatrix(train.map((p) => [p.x, p.y] as const), s.features);
    const width = s.features.length;
    return train.map((p, i) => ({
      x: Array.from(features.subarray(i * width, (i + 1) * width)),
      y: kind === "multiclass" ? Array.from({ length: classes }, (_, c) => (c === p.label ? 1 : 0)) : [p.label],
      label: kind === "regression" ? p.label.toFixed(2) : (names[p.label] ?? String(p.label)),
      coords: [p.x, p.y] as const,
    }));
  },
  featureNames: () => (running ?? state).features.map((f) => FEATURE_LABELS[f]),
});

buildFeatures();
renderControls();
if (state.activations.includes("formula")) ui.formulaNote.textContent = formulaStatus(state.formulaF, state.formulaDf).note;
void openLink(location.hash);
