import { isBackpropError } from "@backprop/linalg";
import { describe, expect, it } from "vitest";
import { gelu, type GeluConfig } from "./gelu.js";

// x·Φ(x) and Φ(x) + x·φ(x) evaluated from the definition at 40 digits (mpmath).
const EXACT: readonly (readonly [number, number, number])[] = [
  [1, 0.84134474606854295, 1.0833154705876863],
  [-1, -0.15865525393145705, -0.083315470587686298],
  [2, 1.9544997361036416, 1.0852318010781969],
  [-3, -0.0040496940948902836, -0.011945647204183927],
  [0.5, 0.34573123063700655, 0.86749512465616284],
  [-10, -7.6198530241605261e-23, -7.6184000964648141e-22],
];
// x/2·(1 + tanh(√(2/π)(x + 0.044715x³))) at 40 digits.
const TANH_FORM: readonly (readonly [number, number])[] = [
  [1, 0.8411919906082767],
  [-1, -0.1588080093917233],
  [2, 1.954597694087775],
  [-3, -0.0036373920817730188],
  [0.5, 0.34571400982514392],
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe("gelu (exact)", () => {
  const act = gelu();

  it("defaults to the erf form", () => {
    expect(act.name).toBe("gelu");
    expect(act.config).toEqual({ approximate: false });
  });

  it("matches x·Φ(x) and its derivative to ~1e-15", () => {
    for (const [x, f, df] of EXACT) {
      // rounding x/√2 to a double perturbs Φ by a relative ~x²·2⁻⁵³, so the tail gets more room
      const tol = Math.max(4e-15, x * x * 2e-16);
      expect(rel(act.f(x), f), `f(${x})`).toBeLessThan(tol);
      expect(rel(act.df(x, act.f(x)), df), `df(${x})`).toBeLessThan(tol);
    }
    expect(act.f(0)).toBe(0);
    expect(act.df(0, 0)).toBe(0.5);
    // Φ(1.959963984540054) = 0.975, the 97.5% normal quantile
    expect(rel(act.f(1.959963984540054), 1.959963984540054 * 0.975)).toBeLessThan(2e-15);
  });

  it("tends to x and 0 at the extremes", () => {
    expect(act.f(1000)).toBe(1000);
    expect(Math.abs(act.f(-1000))).toBe(0);
    expect(act.df(1e308, 1e308)).toBe(1);
    expect(Math.abs(act.df(-1e308, 0))).toBe(0);
  });
});

describe("gelu ({ approximate: true })", () => {
  const act = gelu({ approximate: true });

  it("matches the tanh formula", () => {
    expect(act.config).toEqual({ approximate: true });
    for (const [x, f] of TANH_FORM) expect(rel(act.f(x), f), `f(${x})`).toBeLessThan(4e-15);
  });

  it("stays within 5e-4 of the exact form", () => {
    const exact = gelu();
    for (let x = -8; x <= 8; x += 0.0625) {
      expect(Math.abs(act.f(x) - exact.f(x))).toBeLessThan(5e-4);
    }
  });

  it("has no NaN where x³ overflows", () => {
    expect(act.f(1e308)).toBe(1e308);
    expect(Math.abs(act.f(-1e308))).toBe(0);
    expect(act.df(1e308, 1e308)).toBe(1);
    expect(Math.abs(act.df(-1e308, 0))).toBe(0);
    expect(Math.abs(act.df(-30, act.f(-30)))).toBe(0);
  });
});

describe("gelu config", () => {
  it.each([[{ approximate: "tanh" }], [{ approximate: 1 }], [{ approx: true }], ["tanh"]])(
    "rejects %j with INVALID_CONFIG",
    (config) => {
      try {
        gelu(config as unknown as GeluConfig);
        expect.unreachable();
      } catch (e) {
        expect(isBackpropError(e) && e.code).toBe("INVALID_CONFIG");
        expect((e as Error).message).toMatch(/^gelu: /);
      }
    },
  );
});
