// A test-only entry (not part of the shipped module, which is built from index.ts): exposes the
// functions of libm.ts one by one so that src/libm.test.ts can compile this file on its own and
// compare each against Math.* in JavaScript, bit for bit. The loops at the end time them inside
// WebAssembly, without a JavaScript-to-WebAssembly call per element; the array maps at the end run
// the two-lane functions over memory (one call per array, for both the comparison and timing).
import {
  expF64, expF64x2, expF64x2TakesVectorPath, expm1F64, log1pF64, logF64, logF64x2, logF64x2TakesVectorPath,
  sigmoidF64x2, tanhF64,
} from "./libm";

export function exp(x: f64): f64 {
  return expF64(x);
}

export function log(x: f64): f64 {
  return logF64(x);
}

export function log1p(x: f64): f64 {
  return log1pF64(x);
}

export function expm1(x: f64): f64 {
  return expm1F64(x);
}

export function tanh(x: f64): f64 {
  return tanhF64(x);
}

/** AssemblyScript's own (musl-derived) Math.exp, to show why libm.ts exists. */
export function ascExp(x: f64): f64 {
  return Math.exp(x);
}

/** AssemblyScript's own (musl-derived) Math.log. */
export function ascLog(x: f64): f64 {
  return Math.log(x);
}

// Timing loops: `n` calls on x0, x0 + step, …; the sum keeps the calls from being optimized away.
// `which` selects the function: 0 exp, 1 log, 2 log1p, 3 expm1, 4 tanh, 5 AssemblyScript's
// Math.exp, 6 AssemblyScript's Math.log, 7 none (the loop's own cost).
export function sumLoop(which: i32, n: i32, x0: f64, step: f64): f64 {
  let acc: f64 = 0;
  let x = x0;
  switch (which) {
    case 0: for (let i = 0; i < n; i++) { acc += expF64(x); x += step; } break;
    case 1: for (let i = 0; i < n; i++) { acc += logF64(x); x += step; } break;
    case 2: for (let i = 0; i < n; i++) { acc += log1pF64(x); x += step; } break;
    case 3: for (let i = 0; i < n; i++) { acc += expm1F64(x); x += step; } break;
    case 4: for (let i = 0; i < n; i++) { acc += tanhF64(x); x += step; } break;
    case 5: for (let i = 0; i < n; i++) { acc += Math.exp(x); x += step; } break;
    case 6: for (let i = 0; i < n; i++) { acc += Math.log(x); x += step; } break;
    default: for (let i = 0; i < n; i++) { acc += x; x += step; } break;
  }
  return acc;
}

// ---------------------------------------------------------------------------------------------
// Array maps over memory: `n` doubles at `src` into `dst` (both 8-byte aligned; may be the same).
// The two-lane versions take pairs (src[0], src[1]), (src[2], src[3]), …; an odd last element goes
// through the same two-lane function splatted, so every element is a result of the SIMD code.

/** dst[i] = expF64x2 of the pairs of src. */
export function expArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 3;
    v128.store(dst + at, expF64x2(v128.load(src + at)));
  }
  if (i < n) {
    const at = <usize>i << 3;
    store<f64>(dst + at, f64x2.extract_lane(expF64x2(f64x2.splat(load<f64>(src + at))), 0));
  }
}

/** dst[i] = sigmoidF64x2 of the pairs of src. */
export function sigmoidArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 3;
    v128.store(dst + at, sigmoidF64x2(v128.load(src + at)));
  }
  if (i < n) {
    const at = <usize>i << 3;
    store<f64>(dst + at, f64x2.extract_lane(sigmoidF64x2(f64x2.splat(load<f64>(src + at))), 0));
  }
}

/** dst[i] = expF64(src[i]): the scalar baseline for timing expArray. */
export function expArrayScalar(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    store<f64>(dst + at, expF64(load<f64>(src + at)));
  }
}

/** The JavaScript sigmoid formula on expF64, one element at a time: the baseline for sigmoidArray. */
export function sigmoidArrayScalar(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    const x = load<f64>(src + at);
    store<f64>(dst + at, x >= 0 ? 1.0 / (1.0 + expF64(-x)) : expF64(x) / (1.0 + expF64(x)));
  }
}

/** How many of the n / 2 pairs of src expF64x2 computes on its vector path (not lane by lane). */
export function expVectorPairs(src: usize, n: i32): i32 {
  let count = 0;
  for (let i = 0; i + 2 <= n; i += 2) {
    if (expF64x2TakesVectorPath(v128.load(src + (<usize>i << 3)))) count++;
  }
  return count;
}

/** dst[i] = logF64x2 of the pairs of src. */
export function logArray(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const at = <usize>i << 3;
    v128.store(dst + at, logF64x2(v128.load(src + at)));
  }
  if (i < n) {
    const at = <usize>i << 3;
    store<f64>(dst + at, f64x2.extract_lane(logF64x2(f64x2.splat(load<f64>(src + at))), 0));
  }
}

/** dst[i] = logF64(src[i]): the scalar baseline for timing logArray. */
export function logArrayScalar(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 3;
    store<f64>(dst + at, logF64(load<f64>(src + at)));
  }
}

/** How many of the n / 2 pairs of src logF64x2 computes on its vector path (not lane by lane). */
export function logVectorPairs(src: usize, n: i32): i32 {
  let count = 0;
  for (let i = 0; i + 2 <= n; i += 2) {
    if (logF64x2TakesVectorPath(v128.load(src + (<usize>i << 3)))) count++;
  }
  return count;
}
