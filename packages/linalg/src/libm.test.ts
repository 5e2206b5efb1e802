import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// assembly/libm.ts promises exactly the bits of V8's Math.exp, Math.log, Math.log1p, Math.expm1 and
// Math.tanh (the kernels built on it are checked bit for bit against the TypeScript reference, so
// one ulp off here would show up there as a "wrong" softmax). This test compiles the test-only
// entry assembly/libm-check.ts on its own with asc — the shipped module does not export these —
// and compares each function with Math.* on about a million deterministic inputs plus the special
// values. Results are compared as bit patterns; any NaN matches any NaN (payloads are not part of
// the promise), but NaN against a number is a mismatch. The two-lane expF64x2 and sigmoidF64x2 are
// run over arrays in WebAssembly memory (pairs of adjacent elements) and compared the same way
// with Math.exp and the JavaScript sigmoid, including pairs that put an ordinary argument beside
// one that sends the pair down the lane-by-lane route; logF64x2 likewise with Math.log.

type Unary = (x: number) => number;
/** The part of the global `WebAssembly` used here (ES2022 without the DOM lib does not declare it). */
interface Wasm {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
const NAMES = ["exp", "log", "log1p", "expm1", "tanh"] as const;
type Name = (typeof NAMES)[number];
/** The array maps of libm-check.ts: (src, dst, n), byte addresses in its memory. */
const ARRAY_NAMES = ["expArray", "sigmoidArray", "logArray"] as const;
type ArrayName = (typeof ARRAY_NAMES)[number];
type ArrayMap = (src: number, dst: number, n: number) => void;

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
let workDir = "";
let wasm: Record<Name, Unary> | undefined;
let wasmArrays: Record<ArrayName, ArrayMap> | undefined;
let wasmVectorPairs: ((src: number, n: number) => number) | undefined;
let wasmLogVectorPairs: ((src: number, n: number) => number) | undefined;
let wasmMemory: WasmMemory | undefined;

beforeAll(() => {
  // asc is found the way scripts/build-wasm.mjs finds it, and run in its own process.
  const require = createRequire(import.meta.url);
  const asc = join(dirname(require.resolve("assemblyscript/package.json")), "bin", "asc.js");
  workDir = mkdtempSync(join(tmpdir(), "backprop-libm-"));
  const outFile = join(workDir, "libm-check.wasm");
  const run = spawnSync(
    process.execPath,
    [
      asc, join("assembly", "libm-check.ts"), "--outFile", outFile,
      // The flags of the shipped build: optimization must not change a bit either.
      "--optimizeLevel", "3", "--shrinkLevel", "0", "--noAssert", "--runtime", "stub", "--enable", "simd",
    ],
    { cwd: packageRoot, encoding: "utf8", timeout: 120_000 },
  );
  if (run.status !== 0) {
    throw new Error(`asc failed (${run.error?.message ?? `status ${String(run.status)}`}):\n${run.stderr}`);
  }
  const { Module, Instance } = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
  const instance = new Instance(new Module(readFileSync(outFile)), {
    env: {
      abort: () => {
        throw new Error("libm-check: abort");
      },
    },
  });
  const exported = {} as Record<Name, Unary>;
  for (const name of NAMES) {
    const f = instance.exports[name];
    if (typeof f !== "function") throw new Error(`libm-check.wasm does not export ${name}`);
    exported[name] = f as Unary;
  }
  wasm = exported;
  const arrays = {} as Record<ArrayName, ArrayMap>;
  for (const name of ARRAY_NAMES) {
    const f = instance.exports[name];
    if (typeof f !== "function") throw new Error(`libm-check.wasm does not export ${name}`);
    arrays[name] = f as ArrayMap;
  }
  wasmArrays = arrays;
  const pairs = instance.exports["expVectorPairs"];
  const logPairs = instance.exports["logVectorPairs"];
  const memory = instance.exports["memory"];
  if (typeof pairs !== "function" || typeof logPairs !== "function" || typeof memory !== "object" || memory === null) {
    throw new Error("libm-check.wasm does not export expVectorPairs, logVectorPairs and memory");
  }
  wasmVectorPairs = pairs as (src: number, n: number) => number;
  wasmLogVectorPairs = logPairs as (src: number, n: number) => number;
  wasmMemory = memory as WasmMemory;
}, 180_000);

afterAll(() => {
  if (workDir !== "") rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Deterministic inputs

/** Marsaglia's xorshift128 over 32-bit words: reproducible, and scatters every bit of a double. */
function xorshift128(seed: number): () => number {
  let a = seed >>> 0 || 1;
  let b = 0x9e3779b9;
  let c = 0x243f6a88;
  let d = 0xb7e15162;
  return () => {
    const t = a ^ (a << 11);
    a = b;
    b = c;
    c = d;
    d = (d ^ (d >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    return d;
  };
}

const wordsF64 = new Float64Array(1);
const wordsU32 = new Uint32Array(wordsF64.buffer); // little-endian: [0] low word, [1] high word
const wordsU64 = new BigUint64Array(wordsF64.buffer);

function fromWords(high: number, low: number): number {
  wordsU32[1] = high >>> 0;
  wordsU32[0] = low >>> 0;
  return wordsF64[0] as number;
}

/** `x` moved `n` steps along the bit patterns (n ulps away from zero when n > 0, for x >= 0). */
function ulpStep(x: number, n: number): number {
  wordsF64[0] = x;
  wordsU64[0] = (wordsU64[0] as bigint) + BigInt(n);
  return wordsF64[0] as number;
}

/** Fills a Float64Array from a list of (count, generator) parts. */
function build(parts: ReadonlyArray<readonly [number, () => number]>, extra: readonly number[]): Float64Array {
  const total = parts.reduce((n, [count]) => n + count, 0) + extra.length;
  const out = new Float64Array(total);
  let i = 0;
  for (const [count, gen] of parts) for (let j = 0; j < count; j++) out[i++] = gen();
  for (const x of extra) out[i++] = x;
  return out;
}

/** Both signs of every double within `radius` ulps of each edge: the branch points of the algorithms. */
function ulpWalks(edges: readonly number[], radius: number): number[] {
  const out: number[] = [];
  for (const e of edges) {
    for (let d = -radius; d <= radius; d++) {
      const x = ulpStep(e, d);
      out.push(x, -x);
    }
  }
  return out;
}

const SPECIALS: readonly number[] = [
  0, -0, Infinity, -Infinity, NaN, fromWords(0xfff80000, 0), fromWords(0x7ff00000, 1), fromWords(0xfff00000, 1),
  Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308, -2.225073858507201e-308,
  Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1, 2, -2, 0.5, -0.5, Math.E, Math.LN2, -Math.LN2, 22, -22,
  709.782712893384, 709.7827128933841, -745.1332191019411, -745.1332191019412, 2 ** -28, 2 ** -29, 2 ** -54,
  -(2 ** -54), 1e-300, -1e-300, 1e300, -1e300, Number.EPSILON, -Number.EPSILON, 2 ** 53, 2 ** 1023,
];

// exp, expm1 and tanh: x = k·ln2 + r, so uniform inputs over the whole finite range of exp, denser
// ones where the reduction switches branch, random bit patterns (every exponent, NaN, ±∞) and
// tiny magnitudes; then ulp walks around the thresholds (overflow, underflow, the subnormal
// boundary, ln2/2, 1.5·ln2, 56·ln2, 22, 2^-28, 2^-54, k = 20, 56, 1021, 1024).
function expInputs(): Float64Array {
  const u32 = xorshift128(0x5eed0001);
  const unit = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  const uniform = (a: number, b: number) => (): number => a + (b - a) * unit();
  const ln2 = Math.LN2;
  return build(
    [
      [500_000, uniform(-750, 750)],
      [150_000, uniform(-40, 40)],
      [100_000, uniform(-2, 2)],
      [100_000, () => fromWords(u32(), u32())],
      // |x| from 2^-64 to 2^-16, either sign
      [50_000, () => fromWords((((0x3bf + (u32() % 48)) << 20) | (u32() & 0x800fffff)) >>> 0, u32())],
    ],
    [
      ...SPECIALS,
      ...ulpWalks(
        [709.782712893384, 745.1332191019411, 708.3964185322641, 0.5 * ln2, 1.5 * ln2, 56 * ln2, 22, 1, 2 ** -28,
          2 ** -54, 20.5 * ln2, 56.5 * ln2, 1021.5 * ln2, 1023.5 * ln2, 1024 * ln2],
        2000,
      ),
    ],
  );
}

// log and log1p: log-uniform positives over every exponent (random bit patterns with the sign
// cleared), subnormals, values near 1, and for log1p the interval (−1, 1), values just above −1 and
// negatives of every size; then ulp walks around 1, √2 and √2/2 (where the reduction switches),
// 2^-29, 2^-54, 2^53 and the smallest normal.
function logInputs(): Float64Array {
  const u32 = xorshift128(0x5eed0002);
  const unit = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  const uniform = (a: number, b: number) => (): number => a + (b - a) * unit();
  return build(
    [
      [350_000, () => fromWords(u32() & 0x7fffffff, u32())],
      [50_000, () => fromWords(u32() & 0x000fffff, u32())],
      [100_000, uniform(0.5, 2)],
      [50_000, () => 1 + uniform(-1e-5, 1e-5)()],
      [150_000, uniform(-1, 1)],
      [50_000, () => -fromWords(u32() & 0x3fefffff, u32())], // (−1, 0), every exponent
      [50_000, () => -1 + 2 ** -(1 + 52 * unit())], // just above −1
      [100_000, () => fromWords(u32(), u32())],
      [50_000, () => fromWords((((0x3bf + (u32() % 48)) << 20) | (u32() & 0x800fffff)) >>> 0, u32())],
    ],
    [
      ...SPECIALS,
      ...ulpWalks(
        [1, Math.SQRT2, Math.SQRT1_2, Math.SQRT2 - 1, 1 - Math.SQRT1_2, 2 ** -29, 2 ** -54, 2 ** 53,
          2.2250738585072014e-308, 0.5, 2],
        2000,
      ),
    ],
  );
}

// ---------------------------------------------------------------------------------------------
// Comparison

interface Mismatch {
  readonly count: number;
  readonly examples: string[];
}

/** Runs `ours` and `reference` on every input; counts results whose bits differ (NaN = NaN). */
function compare(ours: Unary, reference: Unary, inputs: Float64Array): Mismatch {
  const n = inputs.length;
  const got = new Float64Array(n);
  for (let i = 0; i < n; i++) got[i] = ours(inputs[i] as number);
  return mismatches(inputs, got, reference);
}

/** Counts the elements of `got` whose bits differ from `reference` of the input (NaN = NaN). */
function mismatches(inputs: Float64Array, got: Float64Array, reference: Unary): Mismatch {
  const n = inputs.length;
  const want = new Float64Array(n);
  for (let i = 0; i < n; i++) want[i] = reference(inputs[i] as number);
  const wantBits = new BigUint64Array(want.buffer);
  const gotBits = new BigUint64Array(got.buffer);
  let count = 0;
  const examples: string[] = [];
  for (let i = 0; i < n; i++) {
    if (wantBits[i] === gotBits[i]) continue;
    const w = want[i] as number;
    const g = got[i] as number;
    if (Number.isNaN(w) && Number.isNaN(g)) continue;
    count++;
    if (examples.length < 5) examples.push(`x=${String(inputs[i])}: reference ${String(w)}, wasm ${String(g)}`);
  }
  return { count, examples };
}

function wasmFunction(name: Name): Unary {
  if (wasm === undefined) throw new Error("libm-check.wasm was not built");
  return wasm[name];
}

/**
 * Copies `inputs` into WebAssembly memory, past everything the module uses (its first page),
 * growing it as needed, and returns the Float64Array views of the source and destination.
 */
function wasmBuffers(n: number): { src: Float64Array; dst: Float64Array; srcAt: number; dstAt: number } {
  if (wasmMemory === undefined) throw new Error("libm-check.wasm was not built");
  const srcAt = 65536;
  const dstAt = srcAt + n * 8;
  const needed = dstAt + n * 8 - wasmMemory.buffer.byteLength;
  if (needed > 0) wasmMemory.grow(Math.ceil(needed / 65536));
  // Views are taken after growing: growth detaches the old buffer.
  return {
    src: new Float64Array(wasmMemory.buffer, srcAt, n),
    dst: new Float64Array(wasmMemory.buffer, dstAt, n),
    srcAt,
    dstAt,
  };
}

/** Runs the array map `name` of libm-check.ts over `inputs` (one call) and returns its results. */
function mapInWasm(name: ArrayName, inputs: Float64Array): Float64Array {
  if (wasmArrays === undefined) throw new Error("libm-check.wasm was not built");
  const { src, dst, srcAt, dstAt } = wasmBuffers(inputs.length);
  src.set(inputs);
  // exp and the sigmoid are never negative and log is never below −745.2 (or it is −∞):
  // an element left unwritten is a mismatch.
  dst.fill(-1000);
  wasmArrays[name](srcAt, dstAt, inputs.length);
  return dst.slice();
}

/** The sigmoid as the TypeScript reference writes it; the two-lane version must give its bits. */
function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

// Arguments that send a pair down expF64x2's lane-by-lane route (NaN, ±∞, past overflow, the
// subnormal results below −708.05, k = 1024, the range edges −708 and 709 and just past them),
// and ones that take a selected branch (underflow to 0, x = 1, |x| < 2^-28, ±0, k = 0 / ±1 edges).
const PARTNERS: readonly number[] = [
  NaN, fromWords(0xfff80000, 0), Infinity, -Infinity, 710, 709.7827128933841, 709.5, 709.4, 709, ulpStep(709, 1),
  -708, ulpStep(-708, 1), -708.05, -708.1, -720, -745.1332191019411, -745.1332191019412, -746, -1e300, 1e300,
  1, -1, 0, -0, 2 ** -28, -(2 ** -29), Number.MIN_VALUE, 0.34657359028, 0.3465735912322998, -0.3465735912322998,
  1.0397207708399179, -1.0397207708399179, 0.5, -3, 40, -40,
];

/**
 * The ulp walks around the edges of expF64x2's vector path (its range ends, where k reaches ±1021,
 * 1022 and 1023, the k = 0 / ±1 / general reduction edges, x = 1, 2^-28), each sign kept together
 * so that both lanes of a pair sit at the same edge, as `ulpWalks` (which alternates signs) never does.
 */
function sameSignWalks(): Float64Array {
  const ln2 = Math.LN2;
  const edges = [708, 709, 1020.5 * ln2, 1021.5 * ln2, 1022.5 * ln2, 0.5 * ln2, 0.3465735912322998, 1.5 * ln2,
    2.5 * ln2, 1, 2 ** -28];
  const walks = ulpWalks(edges, 2000);
  return Float64Array.from([...walks.filter((_, i) => i % 2 === 0), ...walks.filter((_, i) => i % 2 === 1)]);
}

/**
 * Pairs (at even offsets) of `count` inputs spread over `inputs`, each beside the next of
 * `partners` in turn, the partner in lane 1 and lane 0 alternately; then every pair of partners,
 * in both orders.
 */
function mixedPairs(inputs: Float64Array, count: number, partners: readonly number[]): Float64Array {
  const out: number[] = [];
  const stride = Math.max(1, Math.floor(inputs.length / count));
  for (let i = 0, j = 0; i < count; i++, j += stride) {
    const x = inputs[j % inputs.length] as number;
    const p = partners[i % partners.length] as number;
    if (i % 2 === 0) out.push(x, p);
    else out.push(p, x);
  }
  for (const a of partners) for (const b of partners) out.push(a, b);
  out.push(0.25); // an odd length: the last element goes through the tail of the array map
  return Float64Array.from(out);
}

// logF64x2: the positive normal doubles it computes on its vector path, the probabilities of a
// cross-entropy (log-uniform and uniform in [1e-7, 1], 1 − 1e-7 and its neighbours), values within
// 2^-20 of 1 or of any power of two (logF64's short series), every double within 64 ulps of 1, and
// values in and at the ends of the hfsq branch (1+f near √2 and √2/2) in every binade.
function logX2Inputs(): Float64Array {
  const u32 = xorshift128(0x5eed0003);
  const unit = (): number => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992;
  const lnRange = Math.log(1e7);
  const probability = (): number => Math.min(1, 1e-7 * Math.exp(lnRange * unit()));
  const exponent = (): number => (1 + (u32() % 2046)) << 20; // a normal biased exponent field
  return build(
    [
      [200_000, () => fromWords(exponent() | (u32() & 0xfffff), u32())], // log-uniform, all normals
      [300_000, probability],
      [100_000, () => 1e-7 + (1 - 2e-7) * unit()],
      [50_000, () => 1 + (2 * unit() - 1) * 2 ** -19], // within 2^-19 of 1: the series and beside it
      // the series at any exponent: upper-word mantissa 0, 0xFFFFE or 0xFFFFF (within 2^-20 of 2^k)
      [50_000, () => fromWords(exponent() | ([0, 0xffffe, 0xfffff][u32() % 3] as number), u32())],
      [50_000, () => ulpStep(1 - 1e-7, (u32() % 4001) - 2000)],
      // upper-word mantissa in [0x61000, 0x6C000): the hfsq branch and around it, any exponent
      [100_000, () => fromWords(exponent() | (0x61000 + (u32() % 0xb000)), u32())],
    ],
    [...Array.from({ length: 129 }, (_, i) => ulpStep(1, i - 64))],
  );
}

/**
 * Positive ulp walks, kept together so both lanes of a pair sit at the same edge: around 1, the
 * ends of the short series (1 ± 2^-20), √2 and √2/2, the upper-word mantissa 0x6A09C where `half`
 * switches and the ends of the hfsq branch (0x6147A, 0x6B852), at a few exponents, the clamp ends,
 * powers of two, and the smallest normal (the walk below it pairs subnormals, which take the
 * lane-by-lane route).
 */
function logEdgeWalks(): Float64Array {
  const edges = [1, 1 + 2 ** -20, 1 - 2 ** -20, 1 - 2 ** -21, Math.SQRT2, Math.SQRT1_2, 1e-7, 1 - 1e-7, 0.5, 2,
    2 ** -23, 2 ** 100, 2.2250738585072014e-308, Number.MAX_VALUE];
  for (const exp of [0x3ff, 0x3fe, 0x3e8, 0x401, 0x7fe, 0x001]) {
    edges.push(fromWords((exp << 20) | 0x6147a, 0), fromWords((exp << 20) | 0x6b852, 0),
      fromWords((exp << 20) | 0x6a09c, 0)); // where `half` switches: 0x6A09C + 0x95F64 = 0x100000
  }
  return Float64Array.from(ulpWalks(edges, 2000).filter((x, i) => i % 2 === 0 && x <= Number.MAX_VALUE));
}

// Arguments that send a pair down logF64x2's lane-by-lane route (zeros, negatives, NaN, ±∞,
// subnormals) and ones at its edges or on a branch it selects (the smallest normal, 1, powers of
// two, the series and hfsq ranges, the clamp ends).
const LOG_PARTNERS: readonly number[] = [
  NaN, fromWords(0xfff80000, 0), fromWords(0x7ff00000, 1), Infinity, -Infinity, 0, -0, -1, -1e-300, -Number.MIN_VALUE,
  Number.MIN_VALUE, 2.225073858507201e-308, 1e-310, 2.2250738585072014e-308, Number.MAX_VALUE, 1, ulpStep(1, 1),
  ulpStep(1, -1), 0.5, 2, 1e-7, 1 - 1e-7, Math.SQRT2, Math.SQRT1_2, 1 + 2 ** -20, 1 - 2 ** -20, 1.38, 0.71, 1e300,
];

/** True when logF64x2 takes its vector path for a lane: positive, finite and normal. */
function logVectorLane(x: number): boolean {
  return x >= 2.2250738585072014e-308 && x < Infinity;
}

/** Counts the pairs of `inputs` logF64x2 sends down its vector path, as the module reports it. */
function logVectorPairsInWasm(inputs: Float64Array): number {
  if (wasmLogVectorPairs === undefined) throw new Error("libm-check.wasm was not built");
  const { src, srcAt } = wasmBuffers(inputs.length);
  src.set(inputs);
  return wasmLogVectorPairs(srcAt, inputs.length);
}

const REFERENCE: Record<Name, Unary> = {
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  tanh: Math.tanh,
};

describe("assembly/libm.ts gives the bits of V8's Math.*", () => {
  const inputsByFamily = { exp: expInputs(), log: logInputs() };
  const family: Record<Name, keyof typeof inputsByFamily> = {
    exp: "exp",
    expm1: "exp",
    tanh: "exp",
    log: "log",
    log1p: "log",
  };

  for (const name of NAMES) {
    const inputs = inputsByFamily[family[name]];
    it(`${name}F64 matches Math.${name} on ${inputs.length.toLocaleString("en")} inputs`, () => {
      const result = compare(wasmFunction(name), REFERENCE[name], inputs);
      expect(result.examples).toEqual([]);
      expect(result.count).toBe(0);
    }, 60_000);
  }

  const expPairs = mixedPairs(inputsByFamily.exp, 200_000, PARTNERS);
  const edgeWalks = sameSignWalks();
  const twoLane: ReadonlyArray<readonly [ArrayName, string, Unary]> = [
    ["expArray", "expF64x2 matches Math.exp", Math.exp],
    ["sigmoidArray", "sigmoidF64x2 matches the JavaScript sigmoid", sigmoid],
  ];
  for (const [name, title, reference] of twoLane) {
    for (const [inputs, what] of [
      [inputsByFamily.exp, "adjacent exp inputs"],
      [expPairs, "pairs mixing ordinary and special lanes"],
      [edgeWalks, "same-sign ulp-walk neighbours"],
    ] as const) {
      it(`${title} on ${inputs.length.toLocaleString("en")} ${what}`, () => {
        const result = mismatches(inputs, mapInWasm(name, inputs), reference);
        expect(result.examples).toEqual([]);
        expect(result.count).toBe(0);
      }, 60_000);
    }
  }

  const logX2 = logX2Inputs();
  const logPairs = mixedPairs(logX2, 200_000, LOG_PARTNERS);
  const logWalks = logEdgeWalks();
  for (const [inputs, what] of [
    [inputsByFamily.log, "adjacent log and log1p inputs (any sign, subnormals, NaN, ±∞)"],
    [logX2, "positive normal inputs (probabilities, near 1, near √2 and √2/2)"],
    [logPairs, "pairs mixing ordinary and special lanes"],
    [logWalks, "same-sign ulp-walk neighbours"],
  ] as const) {
    it(`logF64x2 matches Math.log on ${inputs.length.toLocaleString("en")} ${what}`, () => {
      const result = mismatches(inputs, mapInWasm("logArray", inputs), Math.log);
      expect(result.examples).toEqual([]);
      expect(result.count).toBe(0);
    }, 60_000);
  }

  it("logF64x2 takes its vector path for every positive normal pair, and for all probabilities", () => {
    for (const inputs of [inputsByFamily.log, logX2, logPairs, logWalks]) {
      let expected = 0;
      for (let i = 0; i + 1 < inputs.length; i += 2) {
        if (logVectorLane(inputs[i] as number) && logVectorLane(inputs[i + 1] as number)) expected++;
      }
      expect(logVectorPairsInWasm(inputs)).toBe(expected);
    }
    // p clamped to [1e-7, 1 − 1e-7] as a cross-entropy does, 1 itself and its neighbours below:
    // every pair must be on the vector path.
    const u32 = xorshift128(0x5eed0004);
    const probabilities = new Float64Array(200_000);
    for (let i = 0; i < probabilities.length; i++) {
      probabilities[i] = Math.min(1 - 1e-7, Math.max(1e-7, (u32() - 400_000_000) / 3_400_000_000));
    }
    probabilities.set([1, 1, ulpStep(1, -1), 1e-7, 1 - 1e-7, 0.5], 0);
    expect(logVectorPairsInWasm(probabilities)).toBe(probabilities.length / 2);
    expect(mismatches(probabilities, mapInWasm("logArray", probabilities), Math.log).count).toBe(0);
  });

  it("expF64x2 takes its vector path for every pair in its range", () => {
    // A fallback taken too often would pass the comparisons above while leaving the vector code
    // untested: count the pairs the module sends down the vector path against the documented range.
    if (wasmVectorPairs === undefined) throw new Error("libm-check.wasm was not built");
    const inputs = inputsByFamily.exp;
    const vectorLane = (x: number): boolean => (x >= -708 && x <= 709) || x < -745.1332191019411;
    let expected = 0;
    for (let i = 0; i + 1 < inputs.length; i += 2) {
      if (vectorLane(inputs[i] as number) && vectorLane(inputs[i + 1] as number)) expected++;
    }
    const { src, srcAt } = wasmBuffers(inputs.length);
    src.set(inputs);
    expect(wasmVectorPairs(srcAt, inputs.length)).toBe(expected);
    expect(expected).toBeGreaterThan(inputs.length / 4); // most pairs are ordinary
  });

  it("matches on the special values, with the sign of zero", () => {
    const cases: ReadonlyArray<readonly [Name, number, number]> = [
      ["exp", 1, Math.E],
      ["exp", -Infinity, 0],
      ["exp", 1000, Infinity],
      ["exp", -0, 1],
      ["log", 0, -Infinity],
      ["log", -0, -Infinity],
      ["log", -1, NaN],
      ["log", 1, 0],
      ["log1p", -1, -Infinity],
      ["log1p", -2, NaN],
      ["log1p", -0, -0],
      ["expm1", -0, -0],
      ["expm1", -Infinity, -1],
      ["tanh", -0, -0],
      ["tanh", -Infinity, -1],
      ["tanh", NaN, NaN],
    ];
    for (const [name, x, expected] of cases) {
      expect(Object.is(wasmFunction(name)(x), expected), `${name}(${String(x)})`).toBe(true);
      expect(Object.is(REFERENCE[name](x), expected), `Math.${name}(${String(x)})`).toBe(true);
    }
    // The two-lane versions, each value beside an ordinary one.
    const pairs: ReadonlyArray<readonly [ArrayName, number, number]> = [
      ["expArray", 1, Math.E],
      ["expArray", -0, 1],
      ["expArray", -Infinity, 0],
      ["expArray", -800, 0],
      ["expArray", Infinity, Infinity],
      ["expArray", NaN, NaN],
      ["sigmoidArray", 0, 0.5],
      ["sigmoidArray", -0, 0.5],
      ["sigmoidArray", Infinity, 1],
      ["sigmoidArray", -Infinity, 0],
      ["sigmoidArray", NaN, NaN],
      ["logArray", 1, 0],
      ["logArray", 0, -Infinity],
      ["logArray", -0, -Infinity],
      ["logArray", -1, NaN],
      ["logArray", -Infinity, NaN],
      ["logArray", Infinity, Infinity],
      ["logArray", NaN, NaN],
      ["logArray", 2, Math.LN2],
      ["logArray", Math.E, 1],
    ];
    for (const [name, x, expected] of pairs) {
      for (const [input, lane] of [[Float64Array.of(x, 0.25), 0], [Float64Array.of(0.25, x), 1]] as const) {
        const got = mapInWasm(name, input)[lane];
        expect(Object.is(got, expected), `${name}(${String(x)}) in lane ${lane}`).toBe(true);
      }
    }
  });
});
