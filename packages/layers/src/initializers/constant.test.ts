import { Matrix, Rng, isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { constant, ones, zeros } from "./constant.js";

const fan = { fanIn: 2, fanOut: 3 };

describe("constant initializers", () => {
  it("fill every element and return the target", () => {
    const m = Matrix.full(2, 3, 9);
    expect(zeros().init(m, new Rng(0), fan)).toBe(m);
    expect(Array.from(m.data)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(ones().init(m, new Rng(0), fan).data)).toEqual([1, 1, 1, 1, 1, 1]);
    const c = constant({ value: 0.35 });
    expect(c.config).toEqual({ value: 0.35 });
    expect(Array.from(c.init(Matrix.zeros(1, 2), new Rng(0), fan).data)).toEqual([0.35, 0.35]);
    expect(Array.from(c.init(Matrix.zeros(1, 2, "float32"), new Rng(0), fan).data)).toEqual([Math.fround(0.35), Math.fround(0.35)]);
  });

  it("do not consume randomness", () => {
    const rng = new Rng(5);
    const before = rng.getState();
    for (const init of [zeros(), ones(), constant({ value: 2 })]) init.init(Matrix.zeros(3, 3), rng, fan);
    expect(rng.getState()).toEqual(before);
  });

  it("have their names and defaults", () => {
    expect([zeros().name, ones().name, constant().name]).toEqual(["zeros", "ones", "constant"]);
    expect(constant().config).toEqual({ value: 0 });
    expect(zeros().config).toEqual({});
  });

  it("validate options", () => {
    for (const make of [() => constant({ value: Number.NaN }), () => constant({ val: 1 } as never), () => zeros({ value: 1 } as never)]) {
      try {
        make();
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
      }
    }
  });
});
