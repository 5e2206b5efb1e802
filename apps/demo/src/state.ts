import { CLASSIFICATION_DATASETS, MULTICLASS_DATASETS, REGRESSION_DATASETS, classCount, isRegression, type DatasetName } from "./datasets.js";
import { FEATURES, type FeatureName } from "./features.js";
import { OPTIMIZER_NAMES, defaultLearningRate, optimizerDefaults, type HyperValue } from "./optimizer-catalog.js";

/** Classification (two to five classes) or regression (a value in [−1, 1]). */
export type ProblemType = "classification" | "regression";
/** Weight penalty kind. */
export type RegularizationKind = "none" | "l1" | "l2";

/** The built-in activations offered on the page (aliases left out); `"formula"` is the typed one. */
export const ACTIVATIONS = [
  "tanh", "relu", "sigmoid", "identity", "leakyRelu", "elu", "selu", "gelu", "softplus", "softsign",
  "silu", "mish", "hardSigmoid", "hardTanh", "relu6", "sinusoid", "gaussian", "formula",
] as const;

/** Weight initializers offered on the page (registry names of `@backprop/layers`). */
export const INITIALIZERS = ["glorotUniform", "glorotNormal", "heUniform", "heNormal", "lecunNormal", "randomNormal", "zeros"] as const;
/** One of {@link INITIALIZERS}. */
export type InitializerName = (typeof INITIALIZERS)[number];

/** Most classes a data set may have (the colours the page has). */
export const MAX_CLASSES = 5;
/** Largest dropout rate offered. */
export const MAX_DROPOUT = 0.9;

/** Maximum number of hidden layers. */
export const MAX_LAYERS = 6;
/** Maximum neurons per hidden layer. */
export const MAX_NEURONS = 8;

/** Everything a visitor can set: what the URL stores and what a model is built from. */
export interface DemoState {
  readonly problem: ProblemType;
  readonly dataset: DatasetName;
  /** Noise in percent, 0–50. */
  readonly noise: number;
  /** Share of points used for training, in percent, 10–90. */
  readonly trainRatio: number;
  /** Samples per gradient step, 1–100. */
  readonly batchSize: number;
  /** Seed of the data set's generator ("regenerate" changes it). */
  readonly dataSeed: number;
  /** Seed of the initial weights. */
  readonly seed: number;
  /** Input features, a non-empty subset of {@link FEATURES} in their order. */
  readonly features: readonly FeatureName[];
  /** Neurons per hidden layer (0–6 layers of 1–8). */
  readonly hidden: readonly number[];
  /** Activation of each hidden layer (same length as `hidden`): a built-in name or `"formula"`. */
  readonly activations: readonly string[];
  /** Dropout rate after each hidden layer (same length as `hidden`), 0 for none. */
  readonly dropout: readonly number[];
  /** How the weights start (biases start at 0). */
  readonly initializer: InitializerName;
  /** f(x) of the formula activation. */
  readonly formulaF: string;
  /** f′(x) of the formula activation; empty for a numerical derivative. */
  readonly formulaDf: string;
  /** Optimizer registry name. */
  readonly optimizer: string;
  /** Its hyperparameters other than lr. */
  readonly hyper: Readonly<Record<string, HyperValue>>;
  /** Learning rate. */
  readonly lr: number;
  readonly regularization: RegularizationKind;
  /** Regularization rate (the L1 or L2 factor). */
  readonly regRate: number;
  /** Classes of the user's own data (`dataset: "custom"`; 1 for regression). */
  readonly customClasses: number;
  /** A second optimizer trained beside the first from the same initial weights ("" for none); it starts from its own defaults. */
  readonly compare: string;
  /** Output view: paint each cell with its predicted class (no confidence shading). */
  readonly discretize: boolean;
  /** Loss chart on a log scale. */
  readonly logLoss: boolean;
}

/**
 * The state of a first visit: the circle, x₁, x₂, sin x₁, sin x₂ into two tanh layers of 8,
 * trained by Adam (lr 0.01, batches of 20). The same set-up solves every built-in data set
 * (`model.test.ts` checks it): the sines let the spiral be learnt in tens of epochs.
 */
export const DEFAULT_STATE: DemoState = {
  problem: "classification",
  dataset: "circle",
  noise: 0,
  trainRatio: 50,
  batchSize: 20,
  dataSeed: 1,
  seed: 1,
  features: ["x1", "x2", "sinx1", "sinx2"],
  hidden: [8, 8],
  activations: ["tanh", "tanh"],
  dropout: [0, 0],
  initializer: "glorotUniform",
  formulaF: "x / (1 + abs(x))",
  formulaDf: "",
  optimizer: "adam",
  hyper: optimizerDefaults("adam"),
  lr: defaultLearningRate("adam"),
  regularization: "none",
  regRate: 0,
  customClasses: 2,
  compare: "",
  discretize: false,
  logLoss: false,
};

/** Classes of the state's data: 2–5 for classification, 1 for regression. */
export function stateClasses(state: DemoState): number {
  if (state.problem === "regression") return 1;
  return state.dataset === "custom" ? state.customClasses : classCount(state.dataset);
}

/** How the output is read: one sigmoid unit, a softmax over classes, or one linear unit. */
export function outputKind(state: DemoState): "binary" | "multiclass" | "regression" {
  const classes = stateClasses(state);
  return classes === 1 ? "regression" : classes === 2 ? "binary" : "multiclass";
}

/**
 * The state as URL parameters (the part after `#`): every field, so a link keeps meaning the same
 * thing when defaults change.
 *
 * @example
 * ```ts
 * location.hash = encodeState(state); // "dataset=circle&noise=0&…"
 * ```
 */
export function encodeState(state: DemoState): string {
  const p = new URLSearchParams();
  p.set("problem", state.problem);
  p.set("dataset", state.dataset);
  p.set("noise", String(state.noise));
  p.set("train", String(state.trainRatio));
  p.set("batch", String(state.batchSize));
  p.set("dataSeed", String(state.dataSeed));
  p.set("seed", String(state.seed));
  p.set("features", state.features.join(","));
  p.set("hidden", state.hidden.join(","));
  // one name when every layer shares it (links stay short and old links keep working)
  const sameActivation = state.activations.every((a) => a === state.activations[0]);
  p.set("activation", sameActivation ? (state.activations[0] ?? "tanh") : state.activations.join(","));
  if (state.dropout.some((d) => d > 0)) p.set("dropout", state.dropout.join(","));
  p.set("init", state.initializer);
  p.set("f", state.formulaF);
  if (state.formulaDf.trim() !== "") p.set("df", state.formulaDf);
  p.set("optimizer", state.optimizer);
  p.set("lr", String(state.lr));
  for (const [key, value] of Object.entries(state.hyper)) p.set(`hp.${key}`, String(value));
  p.set("reg", state.regularization);
  p.set("regRate", String(state.regRate));
  if (state.dataset === "custom") p.set("classes", String(state.customClasses));
  if (state.compare !== "") p.set("compare", state.compare);
  if (state.discretize) p.set("discretize", "true");
  if (state.logLoss) p.set("logLoss", "true");
  return p.toString();
}

function numberIn(raw: string | null, min: number, max: number, integer: boolean): number | undefined {
  if (raw === null || raw.trim() === "") return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) return undefined;
  if (integer && !Number.isInteger(v)) return undefined;
  return v;
}

function oneOf<T extends string>(raw: string | null, allowed: readonly T[]): T | undefined {
  return raw !== null && (allowed as readonly string[]).includes(raw) ? (raw as T) : undefined;
}

/**
 * Reads a state back from URL parameters (with or without the leading `#`). Missing or invalid
 * fields take their default, so a hand-edited or old link still opens.
 *
 * @example
 * ```ts
 * const state = decodeState(location.hash);
 * ```
 */
export function decodeState(text: string): DemoState {
  const p = new URLSearchParams(text.startsWith("#") ? text.slice(1) : text);
  const d = DEFAULT_STATE;
  const datasets: readonly DatasetName[] = [...CLASSIFICATION_DATASETS, ...MULTICLASS_DATASETS, ...REGRESSION_DATASETS, "custom"];
  let problem = oneOf(p.get("problem"), ["classification", "regression"] as const) ?? d.problem;
  let dataset = oneOf(p.get("dataset"), datasets);
  if (dataset === undefined) dataset = problem === "regression" ? REGRESSION_DATASETS[0] : d.dataset;
  // NOTE: the data set decides the problem when the two disagree: its labels only fit one loss.
  // The user's own data says which it is through its class count.
  const customClasses = numberIn(p.get("classes"), 1, MAX_CLASSES, true) ?? d.customClasses;
  if (dataset === "custom") problem = customClasses === 1 ? "regression" : "classification";
  else problem = isRegression(dataset) ? "regression" : "classification";

  const featureList = (p.get("features") ?? "").split(",").filter((f): f is FeatureName => (FEATURES as readonly string[]).includes(f));
  const features = FEATURES.filter((f) => featureList.includes(f));

  let hidden = d.hidden;
  const hiddenRaw = p.get("hidden");
  if (hiddenRaw !== null) {
    const parts = hiddenRaw === "" ? [] : hiddenRaw.split(",").map((s) => numberIn(s, 1, MAX_NEURONS, true));
    if (parts.length <= MAX_LAYERS && parts.every((n) => n !== undefined)) hidden = parts as number[];
  }

  const optimizer = oneOf(p.get("optimizer"), OPTIMIZER_NAMES) ?? d.optimizer;
  const hyper: Record<string, HyperValue> = optimizerDefaults(optimizer);
  for (const [key, fallback] of Object.entries(hyper)) {
    const raw = p.get(`hp.${key}`);
    if (raw === null) continue;
    if (typeof fallback === "boolean") {
      if (raw === "true" || raw === "false") hyper[key] = raw === "true";
    } else {
      const v = numberIn(raw, 0, 1e6, false);
      if (v !== undefined) hyper[key] = v;
    }
  }

  // "tanh" applies to every layer; "tanh,relu,…" names each (a wrong count falls back to the first)
  const named = (p.get("activation") ?? "").split(",").map((a) => oneOf(a, ACTIVATIONS));
  const fallback = named[0] ?? "tanh";
  const activations = hidden.map((_, i) => (named.length === hidden.length ? named[i] : undefined) ?? fallback);
  const rates = (p.get("dropout") ?? "").split(",").map((r) => numberIn(r, 0, MAX_DROPOUT, false));
  const dropout = hidden.map((_, i) => (rates.length === hidden.length ? rates[i] : undefined) ?? 0);
  const compare = oneOf(p.get("compare"), OPTIMIZER_NAMES) ?? "";
  return {
    problem,
    dataset,
    noise: numberIn(p.get("noise"), 0, 50, true) ?? d.noise,
    trainRatio: numberIn(p.get("train"), 10, 90, true) ?? d.trainRatio,
    batchSize: numberIn(p.get("batch"), 1, 100, true) ?? d.batchSize,
    dataSeed: numberIn(p.get("dataSeed"), 0, 2 ** 31, true) ?? d.dataSeed,
    seed: numberIn(p.get("seed"), 0, 2 ** 31, true) ?? d.seed,
    features: features.length > 0 ? features : d.features,
    hidden,
    activations,
    dropout,
    initializer: oneOf(p.get("init"), INITIALIZERS) ?? d.initializer,
    formulaF: (p.get("f") ?? "").trim() === "" ? d.formulaF : (p.get("f") as string).slice(0, 500),
    formulaDf: (p.get("df") ?? "").slice(0, 500),
    optimizer,
    hyper,
    lr: numberIn(p.get("lr"), 0, 10, false) ?? defaultLearningRate(optimizer),
    regularization: oneOf(p.get("reg"), ["none", "l1", "l2"] as const) ?? d.regularization,
    regRate: numberIn(p.get("regRate"), 0, 10, false) ?? d.regRate,
    customClasses: dataset === "custom" ? customClasses : d.customClasses,
    compare,
    discretize: p.get("discretize") === "true",
    logLoss: p.get("logLoss") === "true",
  };
}
