import { isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { cosineDecay } from "./cosine-decay.js";
import { exponentialDecay } from "./exponential-decay.js";
import { linearWarmup } from "./linear-warmup.js";
import type { Schedule } from "./schedule.js";
import { getSchedule, registerSchedule, resolveSchedule, scheduleNames } from "./schedule-registry.js";
import { stepDecay } from "./step-decay.js";

const at = (s: Schedule, steps: readonly number[]): number[] => steps.map((t) => s.at(t));

describe("schedules", () => {
  it("stepDecay: initial · gamma^⌊step / stepSize⌋", () => {
    const s = stepDecay({ initial: 0.1, stepSize: 3, gamma: 0.5 });
    expectClose(at(s, [0, 2, 3, 5, 6, 7]), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], 1e-17, "stepDecay");
    expect(stepDecay({ initial: 1, stepSize: 1 }).at(2)).toBeCloseTo(0.01, 17); // gamma defaults to 0.1
  });

  it("exponentialDecay: initial · gamma^(step / decaySteps)", () => {
    const s = exponentialDecay({ initial: 1, gamma: 0.5, decaySteps: 2 });
    // 0.5^1.5 = √0.125 = 0.35355339059327373
    expectClose(at(s, [0, 1, 2, 3, 4]), [1, Math.SQRT1_2, 0.5, 0.35355339059327373, 0.25], 1e-16, "exponentialDecay");
    expectClose(at(exponentialDecay({ initial: 2, gamma: 0.9 }), [0, 1, 2]), [2, 1.8, 1.62], 1e-15, "per step");
  });

  it("cosineDecay: half a cosine from initial down to alpha · initial, then flat", () => {
    const s = cosineDecay({ initial: 1, decaySteps: 4, alpha: 0.1 });
    // step 1: 0.9 · ½(1 + cos(π/4)) + 0.1 = 0.45 · (1 + √½) + 0.1
    expectClose(at(s, [0, 1, 2, 4, 10]), [1, 0.45 * (1 + Math.SQRT1_2) + 0.1, 0.55, 0.1, 0.1], 1e-15, "cosineDecay");
    expect(cosineDecay({ initial: 0.2, decaySteps: 10 }).at(10)).toBe(0);
  });

  it("linearWarmup: (step + 1)/warmupSteps of the target, then the follower from its own step 0", () => {
    expectClose(at(linearWarmup({ warmupSteps: 4, then: 0.1 }), [0, 1, 3, 4, 100]), [0.025, 0.05, 0.1, 0.1, 0.1], 1e-17, "constant");
    const s = linearWarmup({ warmupSteps: 2, then: stepDecay({ initial: 1, stepSize: 2, gamma: 0.5 }) });
    expectClose(at(s, [0, 1, 2, 3, 4, 5]), [0.5, 1, 1, 1, 0.5, 0.5], 1e-17, "warmup then stepDecay");
  });

  it("serialize as { name, config } and rebuild from JSON, nested followers included", () => {
    const schedules = [
      stepDecay({ initial: 0.1, stepSize: 3 }),
      exponentialDecay({ initial: 0.1, gamma: 0.9, decaySteps: 5 }),
      cosineDecay({ initial: 0.1, decaySteps: 7, alpha: 0.2 }),
      linearWarmup({ warmupSteps: 3, then: cosineDecay({ initial: 0.1, decaySteps: 7 }) }),
      linearWarmup({ warmupSteps: 3, then: 0.5 }),
    ];
    for (const s of schedules) {
      const stored = JSON.parse(JSON.stringify({ name: s.name, config: s.config })) as { name: string; config: Schedule["config"] };
      const rebuilt = resolveSchedule(stored);
      expect(rebuilt.config).toEqual(s.config);
      expect(at(rebuilt, [0, 1, 2, 3, 5, 9, 20])).toEqual(at(s, [0, 1, 2, 3, 5, 9, 20]));
    }
    expect(stepDecay({ initial: 0.1, stepSize: 3 }).config).toEqual({ initial: 0.1, stepSize: 3, gamma: 0.1 });
  });

  it("validate their configs with INVALID_CONFIG naming the key and value", () => {
    expect(() => stepDecay({ initial: 0.1, stepSize: 0 })).toThrow(/stepDecay: invalid stepSize \(got 0, expected an integer > 0\)/);
    expect(() => stepDecay({ initial: 0.1, stepSize: 1.5 })).toThrow(/invalid stepSize \(got 1\.5/);
    expect(() => stepDecay({ initial: -1, stepSize: 1 })).toThrow(/invalid initial \(got -1/);
    expect(() => exponentialDecay({ initial: 1, gamma: 0 })).toThrow(/exponentialDecay: invalid gamma \(got 0/);
    expect(() => cosineDecay({ initial: 1, decaySteps: 10, alpha: 2 })).toThrow(/cosineDecay: invalid alpha \(got 2, expected a finite number in \[0, 1\]\)/);
    expect(() => cosineDecay({ initial: 1 } as never)).toThrow(/invalid decaySteps \(got undefined/);
    expect(() => linearWarmup({ warmupSteps: 3, then: -1 })).toThrow(/linearWarmup: invalid then \(got -1/);
    expect(() => stepDecay({ initial: 1, stepSize: 1, gama: 0.5 } as never)).toThrow(/unknown config key "gama"/);
  });

  it("resolve registered names and list them when a name is unknown", () => {
    expect(scheduleNames().slice(0, 4)).toEqual(["cosineDecay", "exponentialDecay", "linearWarmup", "stepDecay"]);
    try {
      getSchedule("oneCycle");
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("UNKNOWN_COMPONENT");
      expect(String((e as Error).message)).toMatch(/registered: cosineDecay, exponentialDecay, linearWarmup, stepDecay/);
      expect(String((e as Error).message)).toMatch(/help: register it first: registerSchedule/);
    }
    expect(() => resolveSchedule(3 as never)).toThrow(/resolveSchedule: invalid schedule \(got 3/);
  });

  it("accept custom schedules through registerSchedule", () => {
    registerSchedule("test>halving", (config) => ({ name: "test>halving", config: config ?? {}, at: (step) => 0.1 / 2 ** step }));
    expect(resolveSchedule({ name: "test>halving" }).at(2)).toBe(0.025);
    expect(() => registerSchedule("test>halving", () => stepDecay({ initial: 1, stepSize: 1 }))).toThrow(/already registered/);
    expect(() => registerSchedule("stepDecay", () => stepDecay({ initial: 1, stepSize: 1 }))).toThrow(/built-in/);
  });
});
