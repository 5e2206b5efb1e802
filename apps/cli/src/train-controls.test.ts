import { describe, expect, it } from "vitest";
import { classWeights, scheduleFor } from "./commands/train.js";

describe("--class-weight", () => {
  // 8 training rows: 5 of a, 2 of b, 1 of c, none of d
  const y = [...Array(5).fill([1, 0, 0, 0]), ...Array(2).fill([0, 1, 0, 0]), [0, 0, 1, 0]] as number[][];

  it("balanced is n / (k · count) over the classes present (Keras, scikit-learn)", () => {
    const w = classWeights("balanced", ["a", "b", "c", "d"], y);
    expect(w).toEqual([8 / (3 * 5), 8 / (3 * 2), 8 / 3, 1]);
    // every present class then weighs the same in total
    expect(5 * (w[0] as number)).toBeCloseTo(2 * (w[1] as number));
  });

  it("label:weight sets some, the others weigh 1; an unknown label is named", () => {
    expect(classWeights("b:2,c:0.5", ["a", "b", "c"], y)).toEqual([1, 2, 0.5]);
    expect(() => classWeights("e:2", ["a", "b"], y)).toThrow(/--class-weight: "e" is not a class \(classes: "a", "b"\)/);
  });
});

describe("--lr-schedule", () => {
  it("makes the optimizer's schedules from the run's length", () => {
    expect(scheduleFor("constant", 0.01, 4, 10)).toBe(0.01);
    const cosine = scheduleFor("cosine", 0.01, 4, 10);
    expect(typeof cosine === "object" && [cosine.name, cosine.at(0), cosine.at(40)]).toEqual(["cosineDecay", 0.01, 0]);
    const exponential = scheduleFor("exponential:0.5", 0.01, 4, 10);
    expect(typeof exponential === "object" && exponential.at(8)).toBeCloseTo(0.0025);
    const step = scheduleFor("step:3", 0.01, 4, 10);
    expect(typeof step === "object" && [step.at(11), step.at(12)]).toEqual([0.01, 0.001]);
    expect(() => scheduleFor("zigzag", 0.01, 4, 10)).toThrow(/--lr-schedule: expected constant, cosine/);
    expect(() => scheduleFor("step:0", 0.01, 4, 10)).toThrow(/--lr-schedule/);
  });
});
