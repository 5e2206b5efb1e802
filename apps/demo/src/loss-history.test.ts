import { describe, expect, it } from "vitest";
import { BoundedSeries, LossHistory } from "./loss-history.js";

describe("LossHistory", () => {
  it("keeps every epoch until it is full", () => {
    const h = new LossHistory(8);
    for (let e = 0; e < 8; e++) h.push(e, e, -e);
    expect(h.curve()).toEqual({ epochs: [0, 1, 2, 3, 4, 5, 6, 7], train: [0, 1, 2, 3, 4, 5, 6, 7], test: [-0, -1, -2, -3, -4, -5, -6, -7] });
  });

  it("stays bounded and evenly spread over a million epochs", () => {
    const h = new LossHistory(512);
    let longest = 0;
    for (let e = 0; e <= 1_000_000; e++) {
      h.push(e, 1 / (e + 1), 2 / (e + 1));
      longest = Math.max(longest, h.length);
    }
    expect(longest).toBe(512);
    const { epochs, train, test } = h.curve();
    expect(epochs.length).toBeGreaterThanOrEqual(256);
    expect(epochs[0]).toBe(0);
    const step = (epochs[1] as number) - (epochs[0] as number);
    epochs.forEach((e, i) => {
      expect(e).toBe(i * step);
      expect(train[i]).toBe(1 / (e + 1));
      expect(test[i]).toBe(2 / (e + 1));
    });
    expect(1_000_000 - (epochs.at(-1) as number)).toBeLessThan(step);
  });
});

describe("BoundedSeries", () => {
  it("keeps any number of series aligned with their epochs", () => {
    const h = new BoundedSeries(3, 4);
    for (let e = 0; e <= 10; e++) h.push(e, [e, 10 * e, -e]);
    expect(h.epochs()).toEqual([0, 4, 8]);
    expect([h.series(0), h.series(1), h.series(2)]).toEqual([[0, 4, 8], [0, 40, 80], [-0, -4, -8]]);
  });
});
