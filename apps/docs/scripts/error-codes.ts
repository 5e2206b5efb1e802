/**
 * Generates `src/reference/errors.md`, the error-code reference: one row per code of the
 * `ErrorCode` union in packages/linalg/src/errors.ts, with what it means, its typical causes,
 * what to do, and an example message produced by a real library call when the page is generated.
 *
 * The codes are read from the source, so a code added there and not described here fails the
 * docs test (test/error-codes.test.ts) instead of going missing from the page. A TSDoc comment on
 * a union member (`/** … *\/ | "NON_FINITE"`) is the code's meaning, taking precedence over the
 * one written below.
 *
 * Run alone with `tsx scripts/error-codes.ts`; `scripts/generate.ts` calls {@link writeErrorCodes}.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { getActivation, registerActivation, relu } from "@backprop/activations";
import { Matrix, isBackpropError, matmul, useBackend, type BackendName } from "@backprop/linalg";
import { Dense, Dropout, Sequential } from "@backprop/layers";
import { sgd } from "@backprop/optimizers";
import { FORMAT_VERSION, modelFromJSON, modelToJSON, type WeightEntry } from "@backprop/serialize";
import { cell, prose } from "./markdown.js";

const here = dirname(fileURLToPath(import.meta.url));
const docs = resolve(here, "..");
/** Where the `ErrorCode` union is declared. */
export const ERRORS_SOURCE = resolve(docs, "../../packages/linalg/src/errors.ts");
/** The generated page. */
export const ERRORS_PAGE = join(docs, "src/reference/errors.md");

/** One member of the `ErrorCode` union, as read from the source. */
export interface SourceCode {
  readonly code: string;
  /** The member's TSDoc summary, if it has one. */
  readonly doc?: string;
}

/** Every code of `export type ErrorCode = | "A" | "B" …;`, in source order, with member TSDoc. */
export function readErrorCodes(source: string = readFileSync(ERRORS_SOURCE, "utf8")): SourceCode[] {
  const union = /export\s+type\s+ErrorCode\s*=([\s\S]*?);/.exec(source);
  if (!union) throw new Error(`${ERRORS_SOURCE}: no \`export type ErrorCode = …;\` union`);
  const codes: SourceCode[] = [];
  for (const m of (union[1] as string).matchAll(/(?:\/\*\*([\s\S]*?)\*\/\s*)?\|?\s*"([A-Z][A-Z0-9_]*)"/g)) {
    const doc = m[1]
      ?.split("\n")
      .map((line) => line.replace(/^\s*\*\s?/, "").trim())
      .filter((line) => line.length > 0)
      .join(" ");
    codes.push(doc ? { code: m[2] as string, doc } : { code: m[2] as string });
  }
  return codes;
}

/** What the page says about one code; `trigger` makes the library throw it. */
export interface ErrorCodeDoc {
  /** One sentence, used when the union member has no TSDoc. */
  readonly meaning: string;
  readonly causes: string;
  readonly action: string;
  /** The call shown beside the example message (what `trigger` runs). */
  readonly call: string;
  /** Throws a `BackpropError` with this code through the public API. */
  readonly trigger: () => unknown;
}

const tinyModel = (): Sequential => new Sequential([new Dense({ units: 1, inputDim: 2 })]);

/** The docs side of every code; keys must match the union exactly (the test checks both ways). */
export const ERROR_DOCS: Readonly<Record<string, ErrorCodeDoc>> = {
  SHAPE_MISMATCH: {
    meaning: "Two operands, or a model and its data, do not fit together; the message names both shapes.",
    causes: "data with a different number of columns than the first layer's `inputDim`; `x` and `y` with different row counts; targets of the wrong width for the loss (class indices with `categoricalCrossentropy`, which wants one-hot rows); a custom layer's `computeOutputShape` that disagrees with its `forward`",
    action: "compare the two shapes in the message; check `model.summary()`; use `sparseCategoricalCrossentropy` for class indices, `categoricalCrossentropy` for one-hot rows",
    call: "matmul(Matrix.zeros(2, 3), Matrix.zeros(2, 3))",
    trigger: () => matmul(Matrix.zeros(2, 3), Matrix.zeros(2, 3)),
  },
  INVALID_ARGUMENT: {
    meaning: "An argument of a function call is out of range or of the wrong kind.",
    causes: "a misspelt option value; `batchSize: 0`; a split fraction outside `[0, 1)`; plain arrays where a `Matrix` or `Tensor` is expected; bad CLI input (the CLI reports its own input errors with this code)",
    action: "read the `got … expected …` part of the message, and the function's page in the [API reference](/reference/api/)",
    call: 'useBackend("gpu")',
    trigger: () => useBackend("gpu" as BackendName),
  },
  INVALID_CONFIG: {
    meaning: "The config object of a component (layer, activation, optimizer, loss, initializer, callback) is invalid.",
    causes: "a hyperparameter out of range (`Dropout({ rate: 1.5 })`, `sgd({ lr: -1 })`); a missing required key or a misspelt one (`adam({ beta: 0.9 })` for `beta1`)",
    action: "fix the key or value the message names; the defaults and ranges are on the component's API page",
    call: "new Dropout({ rate: 1.5 })",
    trigger: () => new Dropout({ rate: 1.5 }),
  },
  UNKNOWN_COMPONENT: {
    meaning: "A name does not resolve to a registered component; the message lists the registered names and suggests a near miss.",
    causes: "a typo (`\"leakyReLU\"` for `\"leakyRelu\"`); a model file that names a custom activation, layer, loss or optimizer that this program has not registered",
    action: "use a listed name, or call `registerActivation` / `registerLayer` / `registerLoss` / `registerOptimizer` (or pass `custom` to the loader) before loading",
    call: 'getActivation("leakyReLU")',
    trigger: () => getActivation("leakyReLU"),
  },
  DUPLICATE_COMPONENT: {
    meaning: "A component is registered under a name that is already taken.",
    causes: "registering a built-in name (`\"relu\"`); registering the same custom name twice, e.g. a module evaluated twice by a bundler or hot reload",
    action: "pick a namespaced name (`\"myproject>relu\"`); pass `{ override: true }` when replacing your own registration is intended",
    call: 'registerActivation("relu", () => relu)',
    trigger: () => registerActivation("relu", () => relu),
  },
  NON_FINITE: {
    meaning: "A NaN or an infinity appeared: in the data, in the loss, or in a gradient; the message names the row and column, or the epoch, batch and parameter.",
    causes: "missing values left as `NaN` in the inputs; a learning rate too large for the scale of the data (the loss grows until it overflows); inputs that are not normalised (values in the thousands); a custom loss taking `log(0)`",
    action: "fill or drop missing cells; normalise the inputs (a `Normalization` layer); lower the learning rate; clip gradients with the optimizer's `clipNorm`. See [Troubleshooting](/guide/troubleshooting#the-loss-is-nan-or-infinity)",
    call: "model.fit(Matrix.fromArray([[1, NaN]]), Matrix.fromArray([[0]]))",
    trigger: () => {
      const model = tinyModel();
      model.compile({ loss: "mse", optimizer: sgd({ lr: 0.1 }) });
      model.fit(Matrix.fromArray([[1, Number.NaN]]), Matrix.fromArray([[0]]));
    },
  },
  INVALID_STATE: {
    meaning: "An object is asked to do something its current state does not allow.",
    causes: "adding a layer to a model that is already built; `backward` before `forward` in a custom training loop; restoring a training state or optimizer state saved from a different model; `useBackend(\"wasm\")` on a runtime without WebAssembly SIMD",
    action: "create a new model rather than changing a built one; call the methods in the order `fit` does; load state into the model it came from",
    call: "tinyModel.build().add(new Dense({ units: 1 }))",
    trigger: () => tinyModel().build().add(new Dense({ units: 1 })),
  },
  INVALID_FILE: {
    meaning: "A model file (JSON, safetensors, ONNX, TF.js) is malformed; the message gives the path inside the file that is wrong.",
    causes: "a truncated or hand-edited file; weights whose length does not match their shape; a file of another format given to the wrong loader; a stored config that no longer validates",
    action: "re-save the model from the program that trained it; look at the path inside the file that the message names",
    call: "modelFromJSON({ ...file, weights: [{ ...kernel, shape: [3, 3] }, bias] })",
    trigger: () => {
      const file = modelToJSON(new Sequential([new Dense({ units: 2, inputDim: 3 })], { seed: 1 }).build());
      const [kernel, ...rest] = file.weights;
      return modelFromJSON({ ...file, weights: [{ ...(kernel as WeightEntry), shape: [3, 3] }, ...rest] });
    },
  },
  UNSUPPORTED_FORMAT_VERSION: {
    meaning: "A model file was written by a newer version of the file format than this package reads.",
    causes: "a model saved with a newer `@backprop/serialize` (or CLI) loaded by an older one",
    action: "upgrade `@backprop/serialize` (or `@backprop/all`) where the file is read",
    call: "modelFromJSON({ ...file, formatVersion: FORMAT_VERSION + 1 })",
    trigger: () => modelFromJSON({ ...modelToJSON(tinyModel().build()), formatVersion: FORMAT_VERSION + 1 }),
  },
  NOT_COMPILED: {
    meaning: "A model is trained or evaluated before `compile` gave it a loss and an optimizer.",
    causes: "`fit`, `evaluate`, `trainOnBatch` or `traceStep` before `model.compile({ loss, optimizer })`",
    action: "call `model.compile({ loss, optimizer, metrics })` first (`predict` needs no compile)",
    call: "tinyModel.fit(Matrix.zeros(1, 2), Matrix.zeros(1, 1))",
    trigger: () => tinyModel().fit(Matrix.zeros(1, 2), Matrix.zeros(1, 1)),
  },
  NOT_BUILT: {
    meaning: "A layer or model has no weights yet because its input shape is not known.",
    causes: "saving or exporting a model whose first layer has no `inputDim` / `inputShape` before any `fit`, `predict` or `build`; reading a layer's weights before it is built",
    action: "give the first layer `inputDim` (or `inputShape`), or call `model.build(inputShape)`, `fit` or `predict` first",
    call: "modelToJSON(new Sequential([new Dense({ units: 1 })]))",
    trigger: () => modelToJSON(new Sequential([new Dense({ units: 1 })])),
  },
};

/** The error a code's trigger throws, or a description of what went wrong instead. */
export function exampleError(code: string): { readonly code: string; readonly message: string } {
  const doc = ERROR_DOCS[code];
  if (!doc) throw new Error(`error-codes: no entry for ${code} in ERROR_DOCS`);
  try {
    doc.trigger();
  } catch (error) {
    if (isBackpropError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error(`error-codes: ${doc.call} did not throw (expected ${code})`);
}

/** Inline code for any text: a fence longer than any backtick run inside it. */
const code = (text: string): string => {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${cell(text)}${pad}${fence}`;
};

/** The whole page (markdown). */
export function renderErrorCodes(codes: readonly SourceCode[] = readErrorCodes()): string {
  const missing = codes.filter((c) => !ERROR_DOCS[c.code]).map((c) => c.code);
  if (missing.length > 0) throw new Error(`error-codes: describe ${missing.join(", ")} in apps/docs/scripts/error-codes.ts (ERROR_DOCS)`);
  const rows = codes.map(({ code: name, doc }) => {
    const entry = ERROR_DOCS[name] as ErrorCodeDoc;
    const error = exampleError(name);
    if (error.code !== name) throw new Error(`error-codes: ${entry.call} threw ${error.code} (expected ${name})`);
    const [first = "", ...rest] = error.message.split("\n");
    const message = [code(first), ...rest.map(code)].join("<br>");
    return `| <span id="${name}">${code(name)}</span> | ${prose(doc ?? entry.meaning)} | ${prose(entry.causes)} | ${prose(entry.action)} | ${code(entry.call)} throws:<br>${message} |`;
  });
  return [
    "---",
    "outline: false",
    "---",
    "",
    "# Error codes",
    "",
    "<!-- Generated by apps/docs/scripts/error-codes.ts from the ErrorCode union in packages/linalg/src/errors.ts. Do not edit. -->",
    "",
    "Every package throws one error class, [`BackpropError`](/reference/api/linalg/classes/BackpropError), for bad input or bad state.",
    "Its `code` says why, for programs (codes are never renamed, only added); its `message` says where and what,",
    "as `<where>: <problem> (got X, expected Y)`, often followed by a `help: …` line that says what to do (also in `error.hint`).",
    "[`isBackpropError(e)`](/reference/api/linalg/functions/isBackpropError) recognises one even when it comes from a second copy of the package.",
    "The CLI prints the same message and exits with status 1.",
    "",
    `The ${codes.length} codes below are read from the library's source when the site is built, and each example message is what the call beside it throws in this version.`,
    "",
    "::: v-pre",
    "",
    "| code | meaning | typical causes | what to do | example |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
    ":::",
    "",
    "In the calls, `tinyModel` is `new Sequential([new Dense({ units: 1, inputDim: 2 })])`, and `file` is what `modelToJSON` returns",
    "for a built model, whose first weight `kernel` is followed by `bias`.",
    "",
  ].join("\n");
}

/** Writes the page when its text changed (so a dev server does not reload for nothing). */
export function writeErrorCodes(): void {
  const page = renderErrorCodes();
  mkdirSync(dirname(ERRORS_PAGE), { recursive: true });
  if (!existsSync(ERRORS_PAGE) || readFileSync(ERRORS_PAGE, "utf8") !== page) writeFileSync(ERRORS_PAGE, page);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  writeErrorCodes();
  console.log(`[docs] wrote ${ERRORS_PAGE}`);
}
