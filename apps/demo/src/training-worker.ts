/// <reference lib="webworker" />
import { Matrix } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import type { Point } from "./datasets.js";
import { featureMatrix } from "./features.js";
import { buildModel, gridPoints, neuronMaps, pointsToMatrices, stateActivation } from "./model.js";
import { modelFile } from "./model-file.js";
import type { FromWorker, LayerWeights, Snapshot, ToWorker } from "./protocol.js";
import type { DemoState } from "./state.js";

// NOTE: the model lives here, off the page's thread, so a long epoch never freezes the controls.
const GRID = 50;
const BUDGET_MS = 30;
const FRAME_MS = 16;
const scope = self as unknown as DedicatedWorkerGlobalScope;

interface Session {
  readonly state: DemoState;
  readonly model: Sequential;
  readonly train: { x: Matrix; y: Matrix };
  readonly test: { x: Matrix; y: Matrix } | undefined;
  readonly gridX: Matrix;
  readonly numericDerivative: boolean;
  epoch: number;
  trainLoss: number[];
  testLoss: number[];
  testAccuracy: number | undefined;
  trainingMs: number;
}

let session: Session | undefined;
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

function measure(s: Session): void {
  s.trainLoss.push(s.model.evaluate(s.train.x, s.train.y).loss ?? NaN);
  if (s.test) {
    const logs = s.model.evaluate(s.test.x, s.test.y);
    s.testLoss.push(logs.loss ?? NaN);
    s.testAccuracy = logs["binaryAccuracy"];
  } else {
    s.testLoss.push(NaN);
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
    epoch: s.epoch,
    playing,
    trainLoss: s.trainLoss,
    testLoss: s.testLoss,
    testAccuracy: s.testAccuracy,
    weights,
    maps,
    grid: GRID,
    numericDerivative: s.numericDerivative,
    trainingMs: s.trainingMs,
  };
  drawn = false;
  post(message, maps.map((m) => m.buffer));
}

function fail(error: unknown): void {
  playing = false;
  post({ type: "error", message: error instanceof Error ? error.message : String(error) });
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

function configure(state: DemoState, train: readonly Point[], test: readonly Point[]): void {
  playing = false;
  session = undefined;
  const model = buildModel(state);
  const gridCoords = gridPoints(GRID);
  session = {
    state,
    model,
    train: pointsToMatrices(train, state),
    test: test.length > 0 ? pointsToMatrices(test, state) : undefined,
    gridX: Matrix.fromFlat(gridCoords.length, state.features.length, featureMatrix(gridCoords, state.features), "float64"),
    numericDerivative: stateActivation(state).numericDerivative,
    epoch: 0,
    trainLoss: [],
    testLoss: [],
    testAccuracy: undefined,
    trainingMs: 0,
  };
  measure(session);
  snapshot(session);
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const msg = event.data;
  try {
    switch (msg.type) {
      case "configure":
        configure(msg.state, msg.train, msg.test);
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
