/// <reference lib="webworker" />
import { isBackpropError, Matrix } from "@backprop/linalg";
import type { Callback, Sequential } from "@backprop/layers";
import type { Point } from "./datasets.js";
import { featureMatrix } from "./features.js";
import { BoundedSeries, LossHistory } from "./loss-history.js";
import {
  buildModel, confusionMatrix, denseLayers, gradientNorms, gridPoints, liveChanges, neuronMapSteps, neuronMaps, numericDerivativeIn, pointsToMatrices,
  regularizationPenalty, retune,
} from "./model.js";
import { modelFile } from "./model-file.js";
import { ModelImportError, denseWeights, readPlaygroundModel } from "./model-import.js";
import type { FromWorker, LayerWeights, Snapshot, ToWorker } from "./protocol.js";
import { outputKind, stateClasses, type DemoState } from "./state.js";

// NOTE: the model lives here, off the page's thread, so a long epoch never freezes the controls.
const GRID = 100;
const BUDGET_MS = 30;
/** Longest run of epochs before the worker reads its messages (see trainSlice). */
const SLICE_MS = 4;
const FRAME_MS = 16;
const scope = self as unknown as DedicatedWorkerGlobalScope;

interface Session {
  readonly run: number;
  state: DemoState;
  model: Sequential;
  train: { x: Matrix; y: Matrix };
  test: { x: Matrix; y: Matrix } | undefined;
  readonly gridX: Matrix;
  readonly numericDerivative: boolean;
  epoch: number;
  trainLoss: number;
  testLoss: number;
  penalty: number;
  readonly history: LossHistory;
  testAccuracy: number | undefined;
  trainingMs: number;
  /** Mean kernel-gradient norm per Dense layer, per epoch. */
  readonly gradientFlow: BoundedSeries;
  /** Sums of this epoch's per-batch gradient norms, and the batch count. */
  readonly normSums: Float64Array;
  batches: number;
  /** Records every batch's gradient norms (the gradients are overwritten by the next batch). */
  readonly normCallback: Callback;
}

let session: Session | undefined;
/** The run of the last configure, so errors name the configuration they belong to. */
let currentRun = 0;
let playing = false;
let timer: ReturnType<typeof setTimeout> | undefined;
/** Epochs per snapshot while playing; 0 means as many as fit in BUDGET_MS. */
let epochsPerFrame = 5;
/** Whether the page has drawn the last snapshot: the worker never runs ahead of the screen. */
let drawn = true;
let lastFrame = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** Evaluates the losses after the current epoch and records them in the history. */
function measure(s: Session): void {
  evaluateLosses(s);
  s.history.push(s.epoch, s.trainLoss, s.testLoss);
}

function evaluateLosses(s: Session): void {
  // NOTE: evaluate's loss includes the L1/L2 penalty; the page shows the data loss (as the
  // TensorFlow Playground does) and the penalty on its own.
  const penalty = regularizationPenalty(s.model);
  s.penalty = penalty;
  const metric = outputKind(s.state) === "multiclass" ? "categoricalAccuracy" : "binaryAccuracy";
  const trainLogs = s.model.evaluate(s.train.x, s.train.y);
  s.trainLoss = (trainLogs.loss ?? NaN) - penalty;
  if (s.test) {
    const logs = s.model.evaluate(s.test.x, s.test.y);
    s.testLoss = (logs.loss ?? NaN) - penalty;
    s.testAccuracy = logs[metric];
  } else {
    s.testLoss = NaN;
    s.testAccuracy = trainLogs[metric];
  }
}

/** The snapshot's numbers other than the maps (cheap: weights, gradients, losses, confusion). */
function snapshotParts(s: Session): Omit<Snapshot, "maps"> {
  const weights = denseWeights(s.model);
  const gradients = denseWeights(s.model, "grad");
  const classes = stateClasses(s.state);
  const confusion = classes >= 2 ? confusionMatrix(s.model, s.test ?? s.train, classes) : undefined;
  return {
    type: "snapshot",
    run: s.run,
    epoch: s.epoch,
    playing,
    trainLoss: s.trainLoss,
    testLoss: s.testLoss,
    penalty: s.penalty,
    history: s.history.curve(),
    testAccuracy: s.testAccuracy,
    lr: s.model.optimizer?.learningRate ?? NaN,
    batchSize: s.state.batchSize,
    weights,
    gradients,
    gradientFlow: { epochs: s.gradientFlow.epochs(), norms: Array.from({ length: s.gradientFlow.count }, (_, i) => s.gradientFlow.series(i)) },
    confusion,
    grid: GRID,
    numericDerivative: s.numericDerivative,
    trainingMs: s.trainingMs,
  };
}

function postSnapshot(parts: Omit<Snapshot, "maps">, maps: Float32Array[]): void {
  drawn = false;
  post({ ...parts, maps }, maps.map((m) => m.buffer));
}

/** Sends the page a picture of the network now, computed at once (paused, stepped, edited). */
function snapshot(s: Session): void {
  picture = undefined;
  postSnapshot(snapshotParts(s), neuronMaps(s.model, s.gridX));
}

/**
 * The picture of a frame being computed layer by layer while playing (see neuronMapSteps): any
 * message cancels it (it may change the model), and it starts again once the message is handled.
 */
let picture: { readonly id: number; readonly session: Session; readonly parts: Omit<Snapshot, "maps">; readonly steps: Generator<undefined, Float32Array[], undefined> } | undefined;

function startPicture(s: Session): void {
  picture = { id: ++frames, session: s, parts: snapshotParts(s), steps: neuronMapSteps(s.model, s.gridX) };
  pictureSlice();
}

function pictureSlice(): void {
  const p = picture;
  if (!p) return;
  if (p.session !== session) {
    picture = undefined;
    return;
  }
  try {
    const step = p.steps.next();
    if (!step.done) {
      slices.port2.postMessage(p.id);
      return;
    }
    picture = undefined;
    lastFrame = performance.now();
    postSnapshot(p.parts, step.value);
  } catch (error) {
    picture = undefined;
    fail(error);
  }
}

/** What the page says when training fails: in its own words, naming only controls it has. */
function describeFailure(error: unknown, s: Session | undefined): string {
  if (isBackpropError(error) && error.code === "NON_FINITE" && s) {
    return (
      `The loss diverged (it is no longer a finite number) during epoch ${s.epoch + 1}. ` +
      `Lower the learning rate (now ${s.state.lr}), or choose another optimizer or activation, then reset.`
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  // NOTE: the library's "help:" hints name its API (clipNorm, fit); the page offers other controls.
  return message.split("\nhelp:")[0] as string;
}

function fail(error: unknown): void {
  playing = false;
  post({ type: "error", run: currentRun, message: describeFailure(error, session) });
}

function runEpoch(s: Session): void {
  const start = performance.now();
  s.normSums.fill(0);
  s.batches = 0;
  s.model.fit(s.train.x, s.train.y, { epochs: 1, batchSize: s.state.batchSize, shuffle: true, callbacks: [s.normCallback] });
  s.epoch++;
  s.trainingMs += performance.now() - start;
  s.gradientFlow.push(s.epoch, Array.from(s.normSums, (sum) => sum / Math.max(1, s.batches)));
  measure(s);
}

function schedule(): void {
  if (timer !== undefined || frame !== undefined || picture !== undefined || !playing || !drawn) return;
  // NOTE: at most one frame per 16 ms, so "1 epoch / frame" is watchable on a fast machine
  timer = setTimeout(loop, Math.max(0, FRAME_MS - (performance.now() - lastFrame)));
}

/** The frame being trained: when it began, epochs done, and its id (stale continuations are dropped). */
let frame: { readonly id: number; readonly session: Session; readonly start: number; epochs: number } | undefined;
let frames = 0;
/**
 * Continues a frame after the worker has looked at its messages: a frame's epochs run in slices of
 * SLICE_MS, and between slices a pause, a new learning rate or a new network is handled at once
 * rather than after the whole frame (a click takes effect within a slice, not within a frame).
 */
const slices = new MessageChannel();
slices.port1.onmessage = (event: MessageEvent<number>) => {
  if (frame?.id === event.data) trainSlice();
  else if (picture?.id === event.data) pictureSlice();
};

function loop(): void {
  timer = undefined;
  const s = session;
  if (!s || !playing) return;
  frame = { id: ++frames, session: s, start: performance.now(), epochs: 0 };
  trainSlice();
}

function trainSlice(): void {
  const f = frame;
  if (!f) return;
  const s = f.session;
  if (s !== session || !playing) {
    frame = undefined;
    return;
  }
  try {
    const sliceStart = performance.now();
    let done = false;
    do {
      runEpoch(s);
      f.epochs++;
      done = epochsPerFrame === 0 ? performance.now() - f.start >= BUDGET_MS : f.epochs >= epochsPerFrame;
    } while (!done && performance.now() - sliceStart < SLICE_MS);
    if (!done) {
      slices.port2.postMessage(f.id);
      return;
    }
    frame = undefined;
    startPicture(s);
  } catch (error) {
    frame = undefined;
    fail(error);
  }
}

function configure(run: number, state: DemoState, train: readonly Point[], test: readonly Point[], weights: readonly LayerWeights[] | undefined): void {
  playing = false;
  frame = undefined;
  session = undefined;
  currentRun = run;
  const model = buildModel(state);
  if (weights) model.setWeights(weights.flatMap((w) => [w.kernel, w.bias]));
  const gridCoords = gridPoints(GRID);
  const layerCount = state.hidden.length + 1;
  const normSums = new Float64Array(layerCount);
  session = {
    run,
    state,
    model,
    train: pointsToMatrices(train, state),
    test: test.length > 0 ? pointsToMatrices(test, state) : undefined,
    gridX: Matrix.fromFlat(gridCoords.length, state.features.length, featureMatrix(gridCoords, state.features), "float64"),
    numericDerivative: numericDerivativeIn(state),
    epoch: 0,
    trainLoss: NaN,
    testLoss: NaN,
    penalty: 0,
    history: new LossHistory(),
    testAccuracy: undefined,
    trainingMs: 0,
    gradientFlow: new BoundedSeries(layerCount),
    normSums,
    batches: 0,
    normCallback: {
      onBatchEnd: () => {
        const s = session;
        if (!s) return;
        const norms = gradientNorms(s.model);
        for (let i = 0; i < norms.length; i++) s.normSums[i]! += norms[i] as number;
        s.batches++;
      },
    },
  };
  measure(session);
  snapshot(session);
}

/** New points for the running network: the weights, optimizer state and epoch stay. */
function replaceData(s: Session, train: readonly Point[], test: readonly Point[]): void {
  s.train = pointsToMatrices(train, s.state);
  s.test = test.length > 0 ? pointsToMatrices(test, s.state) : undefined;
  evaluateLosses(s);
  if (!playing) snapshot(s);
}

/** Sets one kernel weight (an edge edited on the page). */
function setWeight(s: Session, layer: number, from: number, to: number, value: number): void {
  const dense = denseLayers(s.model)[layer];
  const kernel = dense?.params()[0];
  if (!dense || !kernel) throw new Error(`setWeight: no Dense layer ${layer}`);
  const m = kernel.value.asMatrix();
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < 0 || from >= m.rows || to >= m.cols) {
    throw new Error(`setWeight: no weight [${from}][${to}] in layer ${layer + 1} (${m.rows}×${m.cols})`);
  }
  if (!Number.isFinite(value)) throw new Error(`setWeight: ${value} is not a finite number`);
  m.data[from * m.cols + to] = value;
  evaluateLosses(s);
  if (!playing) snapshot(s);
}

/** Applies the live settings of `state` to the running session: same weights, epoch and optimizer state. */
function tune(s: Session, state: DemoState): void {
  if (!liveChanges(s.state, state)) throw new Error("tune: only the learning rate, regularization and batch size change live");
  s.model = retune(s.model, s.state, state);
  s.state = state;
  // NOTE: the penalty (and so nothing else) changes with the regularization; the history keeps
  // what was measured at this epoch before
  evaluateLosses(s);
  // NOTE: said at once, not with the next picture: while playing that is a whole frame away
  post({ type: "tuned", run: s.run, lr: s.model.optimizer?.learningRate ?? NaN, batchSize: state.batchSize });
  if (!playing) snapshot(s);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  // a message may change the model under a picture being computed: start that picture again after it
  const interrupted = msg.type !== "ack" && picture !== undefined ? picture.session : undefined;
  if (interrupted) picture = undefined;
  try {
    switch (msg.type) {
      case "configure":
        configure(msg.run, msg.state, msg.train, msg.test, msg.weights);
        break;
      case "data":
        if (session) replaceData(session, msg.train, msg.test);
        break;
      case "setWeight":
        if (session) setWeight(session, msg.layer, msg.from, msg.to, msg.value);
        break;
      case "import":
        try {
          const imported = readPlaygroundModel(msg.text, msg.fileName);
          post({ type: "imported", ...imported });
        } catch (error) {
          post({ type: "importError", message: error instanceof ModelImportError ? error.message : `${msg.fileName}: ${error instanceof Error ? error.message : String(error)}` });
        }
        break;
      case "tune":
        if (session) tune(session, msg.state);
        break;
      case "discard":
        playing = false;
        frame = undefined;
        session = undefined;
        break;
      case "play":
        if (!session) return;
        playing = true;
        epochsPerFrame = Math.max(0, Math.floor(msg.epochsPerFrame));
        schedule();
        break;
      case "ack":
        drawn = true;
        schedule();
        break;
      case "pause":
        playing = false;
        frame = undefined;
        if (session) snapshot(session);
        break;
      case "step":
        playing = false;
        frame = undefined;
        if (!session) return;
        runEpoch(session);
        snapshot(session);
        break;
      case "export":
        if (!session) return;
        post({ type: "export", json: JSON.stringify(modelFile(session.model, session.state), null, 2) });
        break;
    }
  } catch (error) {
    fail(error);
  }
  if (interrupted && interrupted === session && playing && picture === undefined && drawn) startPicture(interrupted);
};
