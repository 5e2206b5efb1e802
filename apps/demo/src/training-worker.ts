/// <reference lib="webworker" />
import { isBackpropError, Matrix } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { Point } from "./datasets.js";
import { featureMatrix } from "./features.js";
import { LossHistory } from "./loss-history.js";
import { buildModel, gridPoints, liveChanges, neuronMaps, pointsToMatrices, regularizationPenalty, retune, stateActivation } from "./model.js";
import { modelFile } from "./model-file.js";
import type { FromWorker, LayerWeights, Snapshot, ToWorker } from "./protocol.js";
import type { DemoState } from "./state.js";

// NOTE: the model lives here, off the page's thread, so a long epoch never freezes the controls.
const GRID = 50;
const BUDGET_MS = 30;
const FRAME_MS = 16;
const scope = self as unknown as DedicatedWorkerGlobalScope;

interface Session {
  readonly run: number;
  state: DemoState;
  model: Sequential;
  readonly train: { x: Matrix; y: Matrix };
  readonly test: { x: Matrix; y: Matrix } | undefined;
  readonly gridX: Matrix;
  readonly numericDerivative: boolean;
  epoch: number;
  trainLoss: number;
  testLoss: number;
  penalty: number;
  readonly history: LossHistory;
  testAccuracy: number | undefined;
  trainingMs: number;
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
  s.trainLoss = (s.model.evaluate(s.train.x, s.train.y).loss ?? NaN) - penalty;
  if (s.test) {
    const logs = s.model.evaluate(s.test.x, s.test.y);
    s.testLoss = (logs.loss ?? NaN) - penalty;
    s.testAccuracy = logs["binaryAccuracy"];
  } else {
    s.testLoss = NaN;
  }
}

function snapshot(s: Session): void {
  const weights: LayerWeights[] = s.model.layers.map((layer) => {
    const [kernel, bias] = layer.params();
    return { kernel: kernel ? kernel.value.asMatrix().toArray() : [], bias: bias ? Array.from(bias.value.data) : [] };
  });
  const maps = neuronMaps(s.model, s.gridX);
  const message: Snapshot = {
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
    maps,
    grid: GRID,
    numericDerivative: s.numericDerivative,
    trainingMs: s.trainingMs,
  };
  drawn = false;
  post(message, maps.map((m) => m.buffer));
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
  s.model.fit(s.train.x, s.train.y, { epochs: 1, batchSize: s.state.batchSize, shuffle: true });
  s.epoch++;
  s.trainingMs += performance.now() - start;
  measure(s);
}

function schedule(): void {
  if (timer !== undefined || !playing || !drawn) return;
  // NOTE: at most one frame per 16 ms, so "1 epoch / frame" is watchable on a fast machine
  timer = setTimeout(loop, Math.max(0, FRAME_MS - (performance.now() - lastFrame)));
}

function loop(): void {
  timer = undefined;
  const s = session;
  if (!s || !playing) return;
  try {
    const start = performance.now();
    let n = 0;
    do {
      runEpoch(s);
      n++;
    } while (epochsPerFrame === 0 ? performance.now() - start < BUDGET_MS : n < epochsPerFrame);
    lastFrame = performance.now();
    snapshot(s);
  } catch (error) {
    fail(error);
  }
}

function configure(run: number, state: DemoState, train: readonly Point[], test: readonly Point[]): void {
  playing = false;
  session = undefined;
  currentRun = run;
  const model = buildModel(state);
  const gridCoords = gridPoints(GRID);
  session = {
    run,
    state,
    model,
    train: pointsToMatrices(train, state),
    test: test.length > 0 ? pointsToMatrices(test, state) : undefined,
    gridX: Matrix.fromFlat(gridCoords.length, state.features.length, featureMatrix(gridCoords, state.features), "float64"),
    numericDerivative: stateActivation(state).numericDerivative,
    epoch: 0,
    trainLoss: NaN,
    testLoss: NaN,
    penalty: 0,
    history: new LossHistory(),
    testAccuracy: undefined,
    trainingMs: 0,
  };
  measure(session);
  snapshot(session);
}

/** Applies the live settings of `state` to the running session: same weights, epoch and optimizer state. */
function tune(s: Session, state: DemoState): void {
  if (!liveChanges(s.state, state)) throw new Error("tune: only the learning rate, regularization and batch size change live");
  s.model = retune(s.model, s.state, state);
  s.state = state;
  // NOTE: the penalty (and so nothing else) changes with the regularization; the history keeps
  // what was measured at this epoch before
  evaluateLosses(s);
  if (!playing) snapshot(s);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  try {
    switch (msg.type) {
      case "configure":
        configure(msg.run, msg.state, msg.train, msg.test);
        break;
      case "tune":
        if (session) tune(session, msg.state);
        break;
      case "discard":
        playing = false;
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
        if (session) snapshot(session);
        break;
      case "step":
        playing = false;
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
};
