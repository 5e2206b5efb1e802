import fc from "fast-check";
import { Matrix, Param, isBackpropError } from "@backprop/linalg";
import { expectClose } from "@backprop/testing";
import { describe, expect, it } from "vitest";
import { adadelta } from "./adadelta.js";
import { adagrad } from "./adagrad.js";
import { adam } from "./adam.js";
import { adamax } from "./adamax.js";
import { adamw } from "./adamw.js";
import { defineOptimizer } from "./define-optimizer.js";
import { nadam } from "./nadam.js";
import type { Optimizer, OptimizerState } from "./optimizer.js";
import { getOptimizer, optimizerFromState, registerOptimizer, resolveOptimizer, unregisterOptimizer } from "./registry.js";
import { rmsprop } from "./rmsprop.js";
import { sgd } from "./sgd.js";
import { cosineDecay } from "./cosine-decay.js";
import { stepDecay } from "./step-decay.js";
import { linearWarmup } from "./linear-warmup.js";
import { flatValues, makeParams, runOptimizer, setGradients } from "./trajectory.test-util.js";

/** The code of a thrown BackpropError, or a description of what else happened. */
function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isBackpropError(e) ? e.code : `non-Backprop error: ${String(e)}`;
  }
  return "no error";
}

/** Bits of a float64 array, for bit-identity checks. */
function bits(values: readonly number[]): string {
  return Buffer.from(new Float64Array(values).buffer).toString("hex");
}

describe("defineOptimizer", () => {
  it("makes a custom rule in 15 lines that steps, registers and resolves by name", () => {
    const signMomentum = defineOptimizer({
      name: "test>signMomentum",
      defaults: { lr: 0.01, momentum: 0.5 },
      ranges: { momentum: { min: 0, max: 1 } },
      slots: ["buf"],
      update({ value, grad, slots, lr, hp }) {
        const buf = slots.buf;
        for (let i = 0; i < value.length; i++) {
          buf[i] = hp.momentum * (buf[i] as number) + (1 - hp.momentum) * (grad[i] as number);
          value[i] = (value[i] as number) - lr * Math.sign(buf[i] as number);
        }
      },
    });

    // By hand, momentum 0.5, lr 0.1: buf = (1, −1.5) → (−1.5, −0.25) → (−0.25, 0.375).
    const p = new Param("x", Matrix.fromArray([[1, -1]]));
    const opt = signMomentum({ lr: 0.1 });
    const got: number[][] = [];
    for (const g of [[2, -3], [-4, 1], [1, 1]]) {
      p.grad.data.set(g);
      opt.step([p]);
      got.push(Array.from(p.value.data));
    }
    expectClose(got.flat(), [0.9, -0.9, 1.0, -0.8, 1.1, -0.9], 1e-12, "signMomentum");
    expect(opt.config).toEqual({ lr: 0.1, momentum: 0.5 });
    expect(() => signMomentum({ momentum: 2 })).toThrow(/test>signMomentum: invalid momentum \(got 2/);

    registerOptimizer(signMomentum);
    try {
      const byName = resolveOptimizer({ name: "test>signMomentum", config: { lr: 0.2, momentum: 0.25 } });
      expect(byName.name).toBe("test>signMomentum");
      expect(byName.config).toEqual({ lr: 0.2, momentum: 0.25 });
      const resumed = optimizerFromState(JSON.parse(JSON.stringify(opt.stateDict())) as OptimizerState);
      expect(resumed.stateDict()).toEqual(opt.stateDict());
    } finally {
      unregisterOptimizer("test>signMomentum");
    }
  });

  it("skips frozen params: values untouched, no state, not counted in the global norm", () => {
    const [w, b] = makeParams();
    if (!w || !b) throw new Error("fixture");
    b.trainable = false;
    const before = Array.from(b.value.data);
    const opt = adam({ lr: 0.1, clipNorm: 1 });
    w.grad.data.set([0.6, 0, 0, 0.8]); // norm exactly 1: no clipping when b is ignored
    b.grad.data.set([100, -100, 100]);
    opt.step([w, b]);
    expect(Array.from(b.value.data)).toEqual(before);
    expect(Array.from(b.grad.data)).toEqual([100, -100, 100]);
    expect(Object.keys(opt.stateDict().slots)).toEqual(["w"]);
    expectClose(opt.stateDict().slots.w?.expAvg ?? [], [0.06, 0, 0, 0.08], 1e-15, "unclipped m");
  });

  it("counts updates per parameter, so a param unfrozen later gets a first-step bias correction", () => {
    const a = new Param("a", Matrix.fromArray([[0]]));
    const late = new Param("late", Matrix.fromArray([[1]]));
    late.trainable = false;
    const opt = adam({ lr: 0.1 });
    for (let t = 0; t < 3; t++) {
      a.grad.data[0] = 1;
      late.grad.data[0] = 2;
      opt.step([a, late]);
    }
    late.trainable = true;
    opt.step([a, late]);
    // First Adam update of "late": m̂ = g, v̂ = g², so it moves by lr·g/(|g| + ε) whatever the global step.
    expectClose(late.value, [1 - (0.1 * 2) / (2 + 1e-8)], 1e-15, "late first step");
    expect(opt.iterations).toBe(4);
    expect(opt.stateDict().extra).toEqual({ paramSteps: { a: 4, late: 1 } });
  });

  it("updates float32 params in place, tracking the float64 run, with float64 state", () => {
    const opt32 = adam({ lr: 0.05, amsgrad: true });
    const opt64 = adam({ lr: 0.05, amsgrad: true });
    const params32 = makeParams("float32");
    const params64 = makeParams("float64");
    for (let t = 1; t <= 5; t++) {
      setGradients(params32, t);
      setGradients(params64, t);
      opt32.step(params32);
      opt64.step(params64);
    }
    for (const p of params32) expect(p.value.data).toBeInstanceOf(Float32Array);
    expectClose(flatValues(params32), flatValues(params64), 1e-6, "float32 vs float64");
    const m = opt32.stateDict().slots.w?.expAvg ?? [];
    expect(m.some((v) => Math.fround(v) !== v)).toBe(true); // not rounded to float32
  });

  it("rejects two trainable params with one name, before changing anything", () => {
    const p = new Param("dup", Matrix.fromArray([[1]]));
    const q = new Param("dup", Matrix.fromArray([[2]]));
    const first = new Param("first", Matrix.fromArray([[3]]));
    for (const x of [p, q, first]) x.grad.data[0] = 1;
    const opt = sgd({ lr: 0.1 });
    expect(codeOf(() => opt.step([first, p, q]))).toBe("INVALID_ARGUMENT");
    expect(first.value.data[0]).toBe(3);
    expect(opt.iterations).toBe(0);
    q.trainable = false;
    opt.step([first, p, q]); // a frozen duplicate is not a conflict
    expect(first.value.data[0]).toBeCloseTo(2.9, 15);
  });

  it("clips by value, then by global norm, before the update", () => {
    const p = new Param("p", Matrix.fromArray([[0, 0, 0]]));
    p.grad.data.set([2, -0.1, -3]);
    sgd({ lr: 1, clipValue: 0.5 }).step([p]);
    expectClose(p.value, [-0.5, 0.1, 0.5], 1e-15, "clipValue");

    const a = new Param("a", Matrix.fromArray([[0, 0]]));
    const b = new Param("b", Matrix.fromArray([[0]]));
    a.grad.data.set([3, 0]);
    b.grad.data.set([4]);
    sgd({ lr: 1, clipNorm: 1 }).step([a, b]);
    const scale = 1 / (5 + 1e-6);
    expectClose([...a.value.data, ...b.value.data], [-3 * scale, 0, -4 * scale], 1e-15, "clipNorm");

    const c = new Param("c", Matrix.fromArray([[0, 0]]));
    c.grad.data.set([3, -4]);
    sgd({ lr: 1, clipValue: 1, clipNorm: 1 }).step([c]);
    const s2 = 1 / (Math.SQRT2 + 1e-6);
    expectClose(c.value, [-s2, s2], 1e-15, "clipValue then clipNorm");
  });

  it("follows an lr schedule and stores it as { name, config }", () => {
    const opt = sgd({ lr: stepDecay({ initial: 1, stepSize: 2, gamma: 0.5 }) });
    const p = new Param("p", Matrix.fromArray([[0]]));
    const rates: number[] = [];
    const values: number[] = [];
    for (let t = 0; t < 5; t++) {
      rates.push(opt.learningRate);
      p.grad.data[0] = 1;
      opt.step([p]);
      values.push(p.value.data[0] as number);
    }
    expect(rates).toEqual([1, 1, 0.5, 0.5, 0.25]);
    expect(values).toEqual([-1, -2, -2.5, -3, -3.25]);
    expect(opt.config.lr).toEqual({ name: "stepDecay", config: { initial: 1, stepSize: 2, gamma: 0.5 } });
    const rebuilt = getOptimizer("sgd", JSON.parse(JSON.stringify(opt.config)) as typeof opt.config);
    expect(rebuilt.config).toEqual(opt.config);
    expect(rebuilt.learningRate).toBe(1);
  });

  it("exposes every hyperparameter in config and rebuilds the same optimizer from it", () => {
    expect(sgd().config).toEqual({ lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(adam().config).toEqual({ lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false });
    const opts: Optimizer[] = [
      sgd({ lr: 0.1, momentum: 0.9, nesterov: true, clipNorm: 5 }),
      adagrad({ initialAccumulatorValue: 0.1 }),
      rmsprop({ centered: true, momentum: 0.5, clipValue: 1 }),
      adadelta({ rho: 0.95 }),
      adam({ amsgrad: true, lr: cosineDecay({ initial: 0.01, decaySteps: 100 }) }),
      adamw({ weightDecay: 0.1 }),
      adamax({ beta2: 0.99 }),
      nadam({ momentumDecay: 0.01, lr: linearWarmup({ warmupSteps: 10, then: 0.002 }) }),
    ];
    for (const opt of opts) {
      const stored = JSON.parse(JSON.stringify({ name: opt.name, config: opt.config })) as { name: string; config: typeof opt.config };
      expect(resolveOptimizer(stored).config).toEqual(opt.config);
    }
  });

  it("rejects bad configs with INVALID_CONFIG naming the key and value", () => {
    expect(() => sgd({ learningRate: 0.1 } as never)).toThrow(/sgd: unknown config key "learningRate"/);
    expect(() => adam(5 as never)).toThrow(/adam: config must be an object \(got 5/);
    expect(() => adam({ clipNorm: 0 })).toThrow(/adam: invalid clipNorm \(got 0, expected a finite number > 0\)/);
    expect(() => adam({ clipValue: -1 })).toThrow(/invalid clipValue \(got -1/);
    expect(() => adam({ lr: "fast" as never })).toThrow(/adam: invalid lr \(got "fast"/);
    expect(() => adam({ beta1: "0.9" as never })).toThrow(/invalid beta1 \(got "0\.9"/);
    expect(codeOf(() => adam({ lr: { name: "nope", config: {} } }))).toBe("UNKNOWN_COMPONENT");
    expect(codeOf(() => rmsprop({ centered: 1 as never }))).toBe("INVALID_CONFIG");
    expect(adam({ clipNorm: null, clipValue: undefined }).config).not.toHaveProperty("clipNorm");
  });

  it("rejects malformed definitions", () => {
    const update = (): void => undefined;
    expect(() => defineOptimizer({ name: "", defaults: { lr: 1 }, update })).toThrow(/name must be a non-empty string/);
    expect(() => defineOptimizer({ name: "x", defaults: {} as { lr: number }, update })).toThrow(/defaults\.lr must be a number/);
    expect(() => defineOptimizer({ name: "x", defaults: { lr: 1, clipNorm: 1 }, update })).toThrow(/clipNorm is reserved/);
    expect(() => defineOptimizer({ name: "x", defaults: { lr: 1 }, slots: ["a", "a"], update })).toThrow(/slot "a" is declared twice/);
    // Defaults are validated like options, when the first optimizer is built (not at import).
    const inconsistent = defineOptimizer({ name: "x", defaults: { lr: 1, beta: 2 }, ranges: { beta: { min: 0, max: 1 } }, update });
    expect(() => inconsistent()).toThrow(/x: invalid beta \(got 2/);
    const capped = defineOptimizer({ name: "x", defaults: { lr: 0.1 }, ranges: { lr: { max: 1 } }, update });
    expect(() => capped({ lr: 2 })).toThrow(/x: invalid lr \(got 2, expected a finite number in \[0, 1\]\)/);
    expect(codeOf(() => defineOptimizer({ name: "x", defaults: { lr: 1 } } as never))).toBe("INVALID_ARGUMENT");
  });
});

/** Every rule with every optional slot switched on, plus schedule and clipping variants. */
const RESUMABLE: readonly [string, () => Optimizer][] = [
  ["sgd nesterov", () => sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
  ["adagrad", () => adagrad({ lr: 0.1, initialAccumulatorValue: 0.1 })],
  ["rmsprop centered momentum", () => rmsprop({ lr: 0.01, centered: true, momentum: 0.9, clipNorm: 2 })],
  ["adadelta", () => adadelta({ rho: 0.8 })],
  ["adam amsgrad + schedule", () => adam({ lr: cosineDecay({ initial: 0.05, decaySteps: 4, alpha: 0.1 }), amsgrad: true })],
  ["adamw amsgrad", () => adamw({ lr: 0.05, amsgrad: true, clipValue: 0.5 })],
  ["adamax", () => adamax({ lr: 0.05 })],
  ["nadam", () => nadam({ lr: 0.05, momentumDecay: 0.3 })],
];

describe("stateDict / loadStateDict", () => {
  it.each(RESUMABLE)("%s resumes bit-identically from a JSON-saved state", (_label, make) => {
    const original = make();
    const params = makeParams();
    for (let t = 1; t <= 3; t++) {
      setGradients(params, t);
      original.step(params);
    }
    const saved = JSON.parse(JSON.stringify(original.stateDict())) as OptimizerState;
    const snapshot = makeParams();
    params.forEach((p, i) => snapshot[i]?.value.data.set(p.value.data));

    const resumed = make();
    resumed.loadStateDict(saved);
    const fresh = make(); // no state: must diverge, or this test proves nothing
    const freshParams = makeParams();
    params.forEach((p, i) => freshParams[i]?.value.data.set(p.value.data));
    for (let t = 4; t <= 5; t++) {
      for (const [opt, ps] of [[original, params], [resumed, snapshot], [fresh, freshParams]] as const) {
        setGradients(ps, t);
        opt.step(ps);
      }
    }
    expect(bits(flatValues(snapshot))).toBe(bits(flatValues(params)));
    expect(resumed.stateDict()).toEqual(original.stateDict());
    expect(resumed.iterations).toBe(5);
    expect(bits(flatValues(freshParams))).not.toBe(bits(flatValues(params)));
  });

  it("resumes bit-identically for any gradients and any split point (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 3, maxLength: 3 }), {
          minLength: 2,
          maxLength: 8,
        }),
        fc.nat(),
        (grads, cut) => {
          const split = 1 + (cut % (grads.length - 1));
          const run = (opt: Optimizer, p: Param, from: number, to: number): void => {
            for (let t = from; t < to; t++) {
              p.grad.data.set(grads[t] ?? []);
              opt.step([p]);
            }
          };
          const a = new Param("p", Matrix.fromArray([[0.5, -1, 2]]));
          const optA = nadam({ lr: 0.1 });
          run(optA, a, 0, split);
          const state = JSON.parse(JSON.stringify(optA.stateDict())) as OptimizerState;
          const b = new Param("p", Matrix.fromArray([Array.from(a.value.data)]));
          const optB = optimizerFromState(state);
          run(optA, a, split, grads.length);
          run(optB, b, split, grads.length);
          return bits(Array.from(a.value.data)) === bits(Array.from(b.value.data));
        },
      ),
    );
  });

  it("returns JSON-safe plain numbers", () => {
    const opt = rmsprop({ centered: true, momentum: 0.5 });
    runOptimizer(opt, 2);
    const state = opt.stateDict();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state).toMatchObject({ name: "rmsprop", step: 2, extra: { paramSteps: { w: 2, b: 2 } } });
    expect(Object.keys(state.slots.b ?? {})).toEqual(["squareAvg", "gradAvg", "momentumBuffer"]);
    expect(state.slots.b?.squareAvg).toHaveLength(3);
  });

  it("rejects states of another rule, with other slots or bad lengths, with INVALID_STATE", () => {
    const source = adam({ amsgrad: true });
    runOptimizer(source, 2);
    const state = source.stateDict();
    const slotsOfW = state.slots.w ?? {};
    const withW = (w: Record<string, unknown>): OptimizerState => ({ ...state, slots: { ...state.slots, w: w as never } });

    expect(() => sgd().loadStateDict(state)).toThrow(/sgd\.loadStateDict: state is for another optimizer \(got "adam", expected "sgd"\)/);
    expect(() => adam().loadStateDict(state)).toThrow(/unexpected slot "maxExpAvgSq" for param "w"/);
    const { expAvgSq: _dropped, ...missing } = slotsOfW;
    expect(() => adam({ amsgrad: true }).loadStateDict(withW(missing))).toThrow(/missing slot "expAvgSq" for param "w"/);
    expect(() => adam({ amsgrad: true }).loadStateDict(withW({ ...slotsOfW, expAvgSq: [1, 2, 3] }))).toThrow(
      /slot "expAvgSq" of param "w" has 3 values \(got 3, expected 4\)/,
    );
    expect(() => adam({ amsgrad: true }).loadStateDict(withW({ ...slotsOfW, expAvg: ["x", 0, 0, 0] }))).toThrow(/non-number/);
    expect(() => adam({ amsgrad: true }).loadStateDict({ ...state, step: -1 })).toThrow(/invalid step \(got -1/);
    expect(() => nadam().loadStateDict({ name: "nadam", config: {}, step: 1, slots: { w: { expAvg: [0], expAvgSq: [0], muProduct: [1, 1] } } })).toThrow(
      /slot "muProduct" of param "w" has 2 values/,
    );
    expect(codeOf(() => adam().loadStateDict(null as never))).toBe("INVALID_STATE");
  });

  it("keeps its state when a load fails", () => {
    const opt = adam();
    runOptimizer(opt, 2);
    const before = opt.stateDict();
    const bad = { ...before, slots: { ...before.slots, b: { expAvg: [0], expAvgSq: [0, 0] } } };
    expect(codeOf(() => opt.loadStateDict(bad))).toBe("INVALID_STATE");
    expect(opt.stateDict()).toEqual(before);
  });

  it("checks slot lengths against the params at the next step", () => {
    const opt = adam();
    opt.loadStateDict({ name: "adam", config: {}, step: 1, slots: { w: { expAvg: [0, 0], expAvgSq: [0, 0] } } });
    const params = makeParams(); // "w" has 4 elements
    setGradients(params, 1);
    const before = flatValues(params);
    expect(codeOf(() => opt.step(params))).toBe("SHAPE_MISMATCH");
    expect(flatValues(params)).toEqual(before);
    expect(opt.iterations).toBe(1);
  });

  it("falls back to the global step when per-parameter counts are absent", () => {
    const opt = adam({ lr: 0.1 });
    opt.loadStateDict({ name: "adam", config: {}, step: 3, slots: { p: { expAvg: [0], expAvgSq: [0] } } });
    expect(opt.stateDict().extra).toEqual({ paramSteps: { p: 3 } });
  });
});
