import { afterEach, describe, expect, it, vi } from "vitest";
import { progressCallback } from "./progress.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("progressCallback: the ETA", () => {
  it("waits for the first second, then uses the speed of the latest half of the run", () => {
    let now = 0;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const frames: string[] = [];
    const out = { write: (s: string) => frames.push(s) } as unknown as NodeJS.WritableStream;
    // 2 epochs of 200 batches: the first batch takes 1 s (compilation), the next 20 take 50 ms
    // (code still warming up), every later one 10 ms.
    const cb = progressCallback({ mode: "bar", epochs: 2, initialEpoch: 0, samplesPerEpoch: 200, batchSize: 1, metric: "accuracy", out });
    cb.onTrainBegin?.({});
    cb.onEpochBegin?.(0, {});
    let batch = 0;
    const etaAfter = (batches: number, ms: number): string => {
      for (let b = 0; b < batches; b++) {
        now += ms;
        cb.onBatchEnd?.(batch++, { loss: 1, size: 1 });
      }
      return /ETA (\S+)/.exec(frames.at(-1) ?? "")?.[1] ?? "";
    };
    expect(etaAfter(1, 1000)).toBe("…");
    expect(etaAfter(10, 50)).toBe("…"); // 500 ms after the first batch: too early
    etaAfter(10, 50);
    // 1 s of 50 ms batches, then 1 s of 10 ms ones: 279 batches left at 10 ms ≈ 3 s. (The mean
    // since the first batch would say 5 s, and the whole elapsed time per epoch done 7 s.)
    expect(etaAfter(100, 10)).toBe("3s");
  });

  it("gives each JSON epoch record the seconds since training began", () => {
    let now = 0;
    vi.spyOn(performance, "now").mockImplementation(() => now);
    const lines: string[] = [];
    const cb = progressCallback({ mode: "json", epochs: 2, initialEpoch: 0, samplesPerEpoch: 4, batchSize: 4, metric: "accuracy", out: { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream });
    cb.onTrainBegin?.({});
    for (const epoch of [0, 1]) {
      cb.onEpochBegin?.(epoch, {});
      now += 1234.5;
      cb.onBatchEnd?.(0, { loss: 0.5, size: 4 });
      cb.onEpochEnd?.(epoch, { loss: 0.5 });
    }
    expect(lines.map((l) => (JSON.parse(l) as { elapsed: number }).elapsed)).toEqual([1.235, 2.469]);
  });
});
