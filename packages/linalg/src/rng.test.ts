import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BackpropError } from "./errors.js";
import { Matrix } from "./tensor.js";
import { Rng, type RngState } from "./rng.js";

/**
 * xoshiro128** written straight from Blackman & Vigna's xoshiro128starstar.c with BigInt and an
 * explicit 32-bit mask, sharing nothing with the implementation under test:
 *
 *   result = rotl(s[1] * 5, 7) * 9;  t = s[1] << 9;
 *   s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 11);
 */
function referenceXoshiro128ss(state: readonly number[], count: number): number[] {
  const mask = 0xffffffffn;
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & mask;
  let [s0, s1, s2, s3] = state.map((w) => BigInt(w)) as [bigint, bigint, bigint, bigint];
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number((rotl((s1 * 5n) & mask, 7n) * 9n) & mask));
    const t = (s1 << 9n) & mask;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11n);
  }
  return out;
}

function draws(rng: Rng, count: number): number[] {
  return Array.from({ length: count }, () => rng.nextUint32());
}

function withState(state: RngState): Rng {
  const rng = new Rng();
  rng.setState(state);
  return rng;
}

function meanAndVariance(xs: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < xs.length; i++) mean += xs[i] as number;
  mean /= xs.length;
  let variance = 0;
  for (let i = 0; i < xs.length; i++) variance += ((xs[i] as number) - mean) ** 2;
  return { mean, variance: variance / xs.length };
}

describe("Rng is xoshiro128**", () => {
  it("matches outputs worked out by hand from state [1, 0, 0, 0]", () => {
    // s1 = 0 gives 0; the state becomes [1, 1, 1, 0], then s1 = 1 gives rotl(5, 7)·9 = 640·9 = 5760;
    // then [0, 1, 512, 2048] gives 5760 again; then [2049, 513, 0, 4196352] gives
    // rotl(513·5, 7)·9 = 2565·128·9 = 2954880.
    expect(draws(withState([1, 0, 0, 0]), 4)).toEqual([0, 5760, 5760, 2954880]);
  });

  it("matches the published reference vector for state [1, 2, 3, 4]", () => {
    // The test vector of Rust's rand_xoshiro, produced with the reference xoshiro128starstar.c (v1.1).
    const published = [
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ];
    expect(referenceXoshiro128ss([1, 2, 3, 4], 10)).toEqual(published);
    expect(draws(withState([1, 2, 3, 4]), 10)).toEqual(published);
  });

  it.each<RngState>([
    [0xdeadbeef, 0x12345678, 0x9abcdef0, 0xfedcba98],
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0x80000000, 0, 0, 1],
    [0x964d4a0c, 0xd40ab895, 0xad7fdecb, 0x3006f0f0],
  ])("matches the BigInt reference for 2000 outputs from state %j", (...state) => {
    expect(draws(withState(state), 2000)).toEqual(referenceXoshiro128ss(state, 2000));
  });

  it("matches the BigInt reference from any state (property)", () => {
    const word = fc.integer({ min: 0, max: 0xffffffff });
    fc.assert(
      fc.property(fc.tuple(word, word, word, word), (state) => {
        fc.pre(state.some((w) => w !== 0));
        expect(draws(withState(state), 40)).toEqual(referenceXoshiro128ss(state, 40));
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it("builds uniform() from 27 + 26 high bits of two outputs", () => {
    const state: RngState = [0x01234567, 0x89abcdef, 0xfedcba98, 0x76543210];
    const words = referenceXoshiro128ss(state, 20);
    const rng = withState(state);
    for (let i = 0; i < words.length; i += 2) {
      const hi = (words[i] as number) >>> 5;
      const lo = (words[i + 1] as number) >>> 6;
      expect(rng.uniform()).toBe((hi * 2 ** 26 + lo) / 2 ** 53);
    }
  });
});

describe("Rng seeding", () => {
  it("the same seed gives identical bits", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    expect(draws(a, 1000)).toEqual(draws(b, 1000));
    for (let i = 0; i < 100; i++) expect(Object.is(a.uniform(), b.uniform())).toBe(true);
    for (let i = 0; i < 100; i++) expect(Object.is(a.normal(), b.normal())).toBe(true);
    expect(new Rng().getState()).toEqual(new Rng(0).getState());
  });

  it("different seeds give different streams", () => {
    const seeds = [0, 1, 2, 3, 42, 2 ** 31, 2 ** 32 - 1];
    const streams = seeds.map((s) => draws(new Rng(s), 8).join(","));
    expect(new Set(streams).size).toBe(seeds.length);
    // Streams of neighbouring seeds share (almost) no values.
    const x = draws(new Rng(1), 64);
    const y = new Set(draws(new Rng(2), 64));
    expect(x.filter((v) => y.has(v)).length).toBeLessThan(2);
  });

  it("uses the integer part of the seed", () => {
    expect(new Rng(7.9).getState()).toEqual(new Rng(7).getState());
    expect(new Rng(-1).getState()).toEqual(new Rng(2 ** 32 - 1).getState());
  });

  it("seeds into a state of four uint32 words, never all zero", () => {
    for (const seed of [0, 1, 123456789, 2 ** 32 - 1]) {
      const s = new Rng(seed).getState();
      expect(s).toHaveLength(4);
      for (const w of s) {
        expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
      }
      expect(s.some((w) => w !== 0)).toBe(true);
    }
  });

  it("rejects a non-finite seed", () => {
    for (const seed of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new Rng(seed)).toThrow(BackpropError);
      expect(() => new Rng(seed)).toThrow(/finite/);
    }
  });
});

describe("Rng distributions", () => {
  const N = 100_000;

  it("uniform() lies in [0, 1) with mean 1/2 and variance 1/12", () => {
    const rng = new Rng(2024);
    const xs = new Float64Array(N);
    let min = 1;
    let max = 0;
    for (let i = 0; i < N; i++) {
      const u = rng.uniform();
      expect(u >= 0 && u < 1).toBe(true);
      xs[i] = u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    const { mean, variance } = meanAndVariance(xs);
    // Standard errors are 0.0009 for the mean and 0.0003 for the variance.
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.0015);
    expect(min).toBeLessThan(0.001);
    expect(max).toBeGreaterThan(0.999);
    // Ten equal bins each get about a tenth.
    const bins = new Array<number>(10).fill(0);
    for (const u of xs) bins[Math.floor(u * 10)]! += 1;
    for (const c of bins) expect(Math.abs(c - N / 10)).toBeLessThan(500);
  });

  it("uniform(low, high) scales into [low, high)", () => {
    const rng = new Rng(1);
    const xs = Array.from({ length: 10_000 }, () => rng.uniform(-3, 5));
    for (const x of xs) expect(x >= -3 && x < 5).toBe(true);
    expect(Math.abs(meanAndVariance(xs).mean - 1)).toBeLessThan(0.1);
  });

  it("normal() has mean 0, std 1 and the Gaussian 68% within one std", () => {
    const rng = new Rng(77);
    const xs = new Float64Array(N);
    let within = 0;
    for (let i = 0; i < N; i++) {
      const z = rng.normal();
      expect(Number.isFinite(z)).toBe(true);
      xs[i] = z;
      if (Math.abs(z) < 1) within++;
    }
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(Math.sqrt(variance) - 1)).toBeLessThan(0.015);
    expect(Math.abs(within / N - 0.6827)).toBeLessThan(0.006);
  });

  it("normal(mean, std) shifts and scales", () => {
    const rng = new Rng(8);
    const xs = Array.from({ length: 20_000 }, () => rng.normal(5, 0.1));
    const { mean, variance } = meanAndVariance(xs);
    expect(Math.abs(mean - 5)).toBeLessThan(0.005);
    expect(Math.abs(Math.sqrt(variance) - 0.1)).toBeLessThan(0.005);
  });

  it("int(n) covers [0, n) evenly", () => {
    const rng = new Rng(11);
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 70_000; i++) {
      const v = rng.int(7);
      expect(Number.isInteger(v) && v >= 0 && v < 7).toBe(true);
      counts[v]! += 1;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    expect(new Rng(1).int(1)).toBe(0);
  });

  it("int(n) rejects anything but a positive integer", () => {
    const rng = new Rng(0);
    for (const n of [0, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      let err: unknown;
      try {
        rng.int(n);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BackpropError);
      expect((err as BackpropError).code).toBe("INVALID_ARGUMENT");
    }
  });

  it("fillUniform and fillNormal draw row by row, like repeated calls", () => {
    const m = Matrix.zeros(3, 4);
    new Rng(5).fillUniform(m, -1, 1);
    const ref = new Rng(5);
    expect(Array.from(m.data)).toEqual(Array.from({ length: 12 }, () => ref.uniform(-1, 1)));
    const f = Matrix.zeros(2, 3, "float32");
    expect(new Rng(6).fillNormal(f, 2, 3)).toBe(f);
    const refN = new Rng(6);
    expect(Array.from(f.data)).toEqual(Array.from({ length: 6 }, () => Math.fround(refN.normal(2, 3))));
  });
});

describe("Rng shuffles", () => {
  it("shuffle returns a permutation of its input, in place", () => {
    const rng = new Rng(3);
    const xs = Array.from({ length: 50 }, (_, i) => `item${i}`);
    const original = [...xs];
    expect(rng.shuffle(xs)).toBe(xs);
    expect([...xs].sort()).toEqual([...original].sort());
    expect(xs).not.toEqual(original);
    const typed = Float64Array.from({ length: 33 }, (_, i) => i * 0.5);
    rng.shuffle(typed);
    expect(Array.from(typed).sort((p, q) => p - q)).toEqual(Array.from({ length: 33 }, (_, i) => i * 0.5));
    expect(rng.shuffle([])).toEqual([]);
    expect(rng.shuffle([9])).toEqual([9]);
  });

  it("shuffle is reproducible from the seed", () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    expect(new Rng(10).shuffle([...xs])).toEqual(new Rng(10).shuffle([...xs]));
    expect(new Rng(10).shuffle([...xs])).not.toEqual(new Rng(11).shuffle([...xs]));
  });

  it("every position receives every item about equally often", () => {
    const rng = new Rng(4);
    const n = 5;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    for (let t = 0; t < 25_000; t++) {
      const p = rng.permutation(n);
      for (let i = 0; i < n; i++) counts[i]![p[i]!]! += 1;
    }
    for (const row of counts) for (const c of row) expect(Math.abs(c - 5000)).toBeLessThan(300);
  });

  it("permutation(n) holds 0 … n-1 once each", () => {
    const p = new Rng(12).permutation(100);
    expect(p).toBeInstanceOf(Int32Array);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Rng(12).permutation(0)).toHaveLength(0);
  });
});

describe("Rng state", () => {
  it("getState/setState resumes the exact stream", () => {
    const rng = new Rng(31);
    draws(rng, 17);
    rng.normal();
    const saved = rng.getState();
    const expected = [...draws(rng, 50), rng.uniform(), rng.normal()];

    rng.setState(saved);
    expect([...draws(rng, 50), rng.uniform(), rng.normal()]).toEqual(expected);

    // Through JSON, into a generator built from another seed.
    const other = new Rng(999);
    other.setState(JSON.parse(JSON.stringify(saved)) as RngState);
    expect([...draws(other, 50), other.uniform(), other.normal()]).toEqual(expected);
  });

  it("getState returns a copy", () => {
    const rng = new Rng(1);
    const s = rng.getState();
    const copy = [...s];
    draws(rng, 5);
    expect([...s]).toEqual(copy);
    expect(rng.getState()).not.toEqual(copy);
  });

  it.each([
    ["too short", [1, 2, 3]],
    ["too long", [1, 2, 3, 4, 5]],
    ["all zero", [0, 0, 0, 0]],
    ["negative", [-1, 2, 3, 4]],
    ["too large", [2 ** 32, 2, 3, 4]],
    ["fractional", [1.5, 2, 3, 4]],
    ["NaN", [Number.NaN, 2, 3, 4]],
    ["strings", ["1", "2", "3", "4"]],
    ["not an array", { 0: 1, 1: 2, 2: 3, 3: 4, length: 4 }],
    ["null", null],
  ])("setState rejects a state that is %s and keeps the old one", (_label, bad) => {
    const rng = new Rng(5);
    const before = rng.getState();
    let err: unknown;
    try {
      rng.setState(bad as unknown as RngState);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BackpropError);
    expect((err as BackpropError).code).toBe("INVALID_STATE");
    expect((err as BackpropError).message).toMatch(/^Rng\.setState: /);
    expect(rng.getState()).toEqual(before);
  });
});

describe("Rng.fork", () => {
  it("always succeeds and yields a valid state", () => {
    const rng = new Rng(1);
    for (let i = 0; i < 500; i++) {
      const s = rng.fork().getState();
      for (const w of s) expect(Number.isInteger(w) && w >= 0 && w <= 0xffffffff).toBe(true);
    }
  });

  it("is reproducible: same parent state, same child and same parent afterwards", () => {
    const p1 = new Rng(21);
    const p2 = new Rng(21);
    const c1 = p1.fork();
    const c2 = p2.fork();
    expect(draws(c1, 100)).toEqual(draws(c2, 100));
    expect(draws(p1, 100)).toEqual(draws(p2, 100));
  });

  it("gives a stream independent of the parent", () => {
    const parent = new Rng(8);
    const child = parent.fork();
    const fromParent = draws(parent, 200);
    const fromChild = draws(child, 200);
    const parentSet = new Set(fromParent);
    expect(fromChild.filter((v) => parentSet.has(v)).length).toBeLessThan(2);

    // Drawing from the child does not move the parent ...
    const a = new Rng(8);
    const b = new Rng(8);
    draws(a.fork(), 1000);
    b.fork();
    expect(draws(a, 50)).toEqual(draws(b, 50));
    // ... and drawing from the parent does not move the child.
    const p = new Rng(8);
    const c = p.fork();
    draws(p, 1000);
    expect(draws(c, 50)).toEqual(draws(new Rng(8).fork(), 50));
  });

  it("successive forks differ from each other", () => {
    const rng = new Rng(100);
    const kids = Array.from({ length: 10 }, () => draws(rng.fork(), 4).join(","));
    expect(new Set(kids).size).toBe(10);
  });
});
