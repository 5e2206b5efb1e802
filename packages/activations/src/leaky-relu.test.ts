import { isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { leakyRelu, type LeakyReluConfig } from "./leaky-relu.js";

describe("leakyRelu", () => {
  it("defaults to PyTorch's slope 0.01", () => {
    const act = leakyRelu();
    expect(act.name).toBe("leakyRelu");
    expect(act.config).toEqual({ alpha: 0.01 });
    expect(act.f(-2)).toBe(-0.02);
    expect(act.f(3)).toBe(3);
  });

  it("uses the configured slope, also as the derivative at and below the kink", () => {
    const act = leakyRelu({ alpha: 0.2 });
    expect(act.config).toEqual({ alpha: 0.2 });
    expect(act.f(-2)).toBe(-0.4);
    expect(act.df(-2, -0.4)).toBe(0.2);
    expect(act.df(0, 0)).toBe(0.2);
    expect(act.df(1e-300, 1e-300)).toBe(1);
  });

  it.each([
    [{ alpha: Number.NaN }, /invalid alpha \(got NaN, expected a finite number\)/],
    [{ alpha: Infinity }, /invalid alpha \(got Infinity, expected a finite number\)/],
    [{ alpha: "0.2" }, /invalid alpha \(got "0.2", expected a finite number\)/],
    [{ alpah: 0.2 }, /unknown config key "alpah"/],
    [null, /config must be an object \(got null/],
    [[0.2], /config must be an object/],
  ])("rejects %j with INVALID_CONFIG", (config, message) => {
    try {
      leakyRelu(config as unknown as LeakyReluConfig);
      expect.unreachable();
    } catch (e) {
      expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
      expect((e as Error).message).toMatch(/^leakyRelu: /);
      expect((e as Error).message).toMatch(message);
    }
  });
});
