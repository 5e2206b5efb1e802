import { BackpropError } from "./errors.js";
import type { Tensor } from "./tensor.js";

/** Anything {@link Rng.shuffle} can permute in place: an array or a typed array. */
export interface ShuffleTarget {
  /** Number of elements. */
  readonly length: number;
  /** Element access by index. */
  [index: number]: unknown;
}

/** The whole state of an {@link Rng}: four unsigned 32-bit words, JSON-safe for checkpoints. */
export type RngState = readonly [number, number, number, number];

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const TWO_POW_26 = 67108864;
const TWO_POW_53 = 9007199254740992;

/**
 * A small, fast, seeded pseudo-random generator (xoshiro128**), so the same seed gives the same
 * bits on every platform and run. Integer arithmetic only; no `Math.random`.
 *
 * @see https://prng.di.unimi.it/ (Blackman & Vigna, xoshiro128**)
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.uniform();       // in [0, 1)
 * rng.normal(0, 0.1);  // Gaussian
 * const saved = rng.getState(); // resume later with rng.setState(saved)
 * ```
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** @param seed - any finite number; its integer part (mod 2³²) selects the stream. */
  constructor(seed = 0) {
    if (!Number.isFinite(seed)) {
      throw new BackpropError("INVALID_ARGUMENT", `Rng: seed must be a finite number (got ${String(seed)})`);
    }
    // NOTE: splitmix32 spreads nearby seeds (0, 1, 2, …) into unrelated, never all-zero states.
    const mix = splitmix32(Math.trunc(seed) >>> 0);
    this.s0 = mix();
    this.s1 = mix();
    this.s2 = mix();
    this.s3 = mix();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform on `[low, high)` with 53 random bits. Defaults to `[0, 1)`. */
  uniform(low = 0, high = 1): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    const u = (hi * TWO_POW_26 + lo) / TWO_POW_53;
    return low + (high - low) * u;
  }

  /** Gaussian with the given mean and standard deviation (Box–Muller; one draw per call). */
  normal(mean = 0, std = 1): number {
    const u1 = 1 - this.uniform(); // (0, 1], so the log is finite
    const u2 = this.uniform();
    return mean + std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in `[0, n)`. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new BackpropError("INVALID_ARGUMENT", `Rng.int: n must be a positive integer (got ${String(n)})`);
    }
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles `array` (any array or typed array) in place (Fisher–Yates) and returns it. */
  shuffle<T extends ShuffleTarget>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of `0 … n-1`. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** Fills `m` with uniform values on `[low, high)`, row by row. */
  fillUniform<T extends Tensor>(m: T, low = 0, high = 1): T {
    const d = m.data;
    for (let i = 0; i < d.length; i++) d[i] = this.uniform(low, high);
    return m;
  }

  /** Fills `m` with Gaussian values, row by row. */
  fillNormal<T extends Tensor>(m: T, mean = 0, std = 1): T {
    const d = m.data;
    for (let i = 0; i < d.length; i++) d[i] = this.normal(mean, std);
    return m;
  }

  /** A new generator seeded from this one: an independent stream that stays reproducible. */
  fork(): Rng {
    const child = new Rng(0);
    // NOTE: `| 1` keeps the state non-zero but yields a signed int32; `>>> 0` brings it back to uint32.
    child.setState([this.nextUint32(), this.nextUint32(), this.nextUint32(), (this.nextUint32() | 1) >>> 0]);
    return child;
  }

  /** A copy of the state, to save in a checkpoint. */
  getState(): RngState {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  /**
   * Restores a state from {@link Rng.getState}.
   * @throws BackpropError `INVALID_STATE` unless it is four uint32 words, not all zero
   */
  setState(state: RngState): void {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) ||
      state.every((w) => w === 0)
    ) {
      throw new BackpropError(
        "INVALID_STATE",
        "Rng.setState: expected four unsigned 32-bit integers, not all zero",
      );
    }
    this.s0 = state[0] >>> 0;
    this.s1 = state[1] >>> 0;
    this.s2 = state[2] >>> 0;
    this.s3 = state[3] >>> 0;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
