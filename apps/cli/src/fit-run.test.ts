import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Dense, Sequential } from "@backprop/layers";
import { Tensor } from "@backprop/linalg";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { fitWithCheckpoints, type FitRun } from "./fit-run.js";
import { snapshotModel, type CliMetadata } from "./model-file.js";

vi.mock("./model-file.js", async (original) => {
  const actual = await original<typeof import("./model-file.js")>();
  return { ...actual, snapshotModel: vi.fn(actual.snapshotModel) };
});
const serialized = vi.mocked(snapshotModel);

const dir = mkdtempSync(join(tmpdir(), "backprop-fit-run-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  serialized.mockClear();
});

const x = Tensor.fromArray(Array.from({ length: 64 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]));
const y = Tensor.fromArray(Array.from({ length: 64 }, (_, i) => [Math.sin(i) * Math.cos(i * 0.7) > 0 ? 1 : 0]));
const meta: CliMetadata = { features: ["a", "b"], task: "regression", output: "linear", training: { source: "test", seed: 1, validationSplit: 0, batchSize: 8, epochs: 0, shuffle: true }, history: {} };

function net(): Sequential {
  const model = new Sequential([new Dense({ units: 6, activation: "tanh" }), new Dense({ units: 1 })], { seed: 3 });
  model.build([2]);
  model.compile({ loss: "meanSquaredError", optimizer: "adam" });
  return model;
}

const sink = () => new Writable({ write: (_chunk, _enc, done) => done() });
const fitRun = (model: Sequential, epochs: number, extra: Partial<FitRun> = {}): FitRun => ({
  net: model, x, y, epochs, batchSize: 8, shuffle: true, meta, mode: "quiet", metric: "meanAbsoluteError", io: { stdout: sink(), stderr: sink() }, ...extra,
});

describe("fitWithCheckpoints: the work per epoch", () => {
  it("serializes nothing at an epoch end unless a checkpoint is due", async () => {
    await fitWithCheckpoints(fitRun(net(), 40));
    expect(serialized).not.toHaveBeenCalled();
    await fitWithCheckpoints(fitRun(net(), 40, { savePath: join(dir, "a.json") }));
    expect(serialized).not.toHaveBeenCalled();
    await fitWithCheckpoints(fitRun(net(), 40, { savePath: join(dir, "b.json"), checkpointEvery: 10 }));
    expect(serialized).toHaveBeenCalledTimes(4);
  });

  it("a stop mid-epoch saves the last finished epoch: the same file as a run of that many epochs", async () => {
    const straight = net();
    await fitWithCheckpoints(fitRun(straight, 3));
    const expected = JSON.parse(new TextDecoder().decode(snapshotModel(straight, { ...meta, history: { loss: [] } }))) as { weights: unknown; training: unknown };
    const stopped = net();
    const savePath = join(dir, "stopped.json");
    // The signal arrives in the middle of the 4th epoch.
    const signal = { onBatchEnd: (batch: number) => void (stopped.epoch === 3 && batch === 4 && process.emit("SIGTERM")) };
    const result = await fitWithCheckpoints(fitRun(stopped, 10, { savePath, callbacks: [signal] }));
    expect(result.interrupted).toBe(143);
    const file = JSON.parse(readFileSync(savePath, "utf8")) as { weights: unknown; training: { state: { epoch: number } }; metadata: { backpropCli: CliMetadata } };
    expect(file.training.state.epoch).toBe(3);
    expect(file.weights).toEqual(expected.weights);
    expect(file.training).toEqual(expected.training);
    expect(file.metadata.backpropCli.history["loss"]).toHaveLength(3);
  });
});
