// AssemblyScript source of whole training epochs of a small dense network, full batch, in one
// call (compiled with the other kernels by scripts/build-wasm.mjs, exported through index.ts).
//
// A tiny network (XOR, Iris) spends most of an epoch in JavaScript around the arithmetic: the
// training loop, the step, the loss, the optimizer's bookkeeping. Here `count` epochs of
// forward pass, loss, gradient, backward pass and plain SGD update run without leaving WASM.
//
// Every operation is the one the TypeScript step performs, in its order, rounded where it stores
// into a typed array (`T` is the element type; the code is generic, but the module exports the
// float32 loop only, since a float64 one would add ~6 KB to every bundle that ships it):
// - a product runs the backend's gemm when the TypeScript step would (`useGemm`: the product's
//   m·n·k reaches the backend's minWork), otherwise it is the reference sum: one float64 sum per
//   element from 0 in increasing p, rounded once — what the TypeScript backend and the fused
//   small-network step compute;
// - bias adds and bias sums are one rounded add per element, the bias sum in increasing row order;
// - σ, tanh, softmax and the losses' logarithms call libm.ts, which gives V8's bits for exp, log
//   and tanh (the backend checks that at start-up against the running engine's Math);
// - losses and the gradients of the output follow @backprop/layers' mean squared error and
//   categorical cross-entropy (probability form) with its fused softmax δ (binary cross-entropy
//   would bring log1p into a module every bundle ships; those nets run the ordinary step);
// - the update is `p ← p − lr·(g + wd·p)` in float64, rounded once.
//
// The epoch stops before its update when the loss or a gradient is not finite; the call returns
// the number of epochs completed, and the caller re-runs the failing one through the ordinary step
// (which reports it with its usual message).

import { expF64, expF64x2, logF64, logF64x2, sigmoidF64x2, tanhF64 } from "./libm";
import { gemmF32, gemmF64 } from "./gemm";
import { nonFiniteF32, nonFiniteF64, sgdF32, sgdF64 } from "./optimizers";
import { addRowVectorF32, addRowVectorF64, sumColumnsF32, sumColumnsF64 } from "./rows";
import { reluF32, reluF64 } from "./elementwise";

// Plan header (i32 words at `plan`), written by src/wasm-dense-epochs.ts in this order.
// @ts-ignore: decorator
@inline const H_LAYERS: usize = 0;
// @ts-ignore: decorator
@inline const H_ROWS: usize = 4;
// @ts-ignore: decorator
@inline const H_LOSS: usize = 8;
// @ts-ignore: decorator
@inline const H_FUSED: usize = 12;
// @ts-ignore: decorator
@inline const H_X: usize = 16;
// @ts-ignore: decorator
@inline const H_Y: usize = 20;
// @ts-ignore: decorator
@inline const H_G: usize = 24;
// @ts-ignore: decorator
@inline const H_LOSSES: usize = 28;
// @ts-ignore: decorator
@inline const H_PANEL: usize = 32;
// @ts-ignore: decorator
@inline const H_SCRATCH: usize = 36;
// All parameters (each layer's kernel then bias, packed) and their gradients in the same order.
// @ts-ignore: decorator
@inline const H_PARAMS: usize = 40;
// @ts-ignore: decorator
@inline const H_GRADS: usize = 44;
// @ts-ignore: decorator
@inline const H_PARAM_COUNT: usize = 48;
// @ts-ignore: decorator
@inline const H_LAYER0: usize = 64;
// Per layer: 16 i32 words.
// @ts-ignore: decorator
@inline const LAYER_BYTES: usize = 64;
// @ts-ignore: decorator
@inline const L_K: usize = 0;
// @ts-ignore: decorator
@inline const L_N: usize = 4;
// @ts-ignore: decorator
@inline const L_BIAS: usize = 8;
// @ts-ignore: decorator
@inline const L_ACT: usize = 12;
// @ts-ignore: decorator
@inline const L_GEMM: usize = 16;
// @ts-ignore: decorator
@inline const L_W: usize = 20;
// @ts-ignore: decorator
@inline const L_B: usize = 24;
// @ts-ignore: decorator
@inline const L_Z: usize = 28;
// @ts-ignore: decorator
@inline const L_Y: usize = 32;
// @ts-ignore: decorator
@inline const L_DZ: usize = 36;
// @ts-ignore: decorator
@inline const L_DW: usize = 40;
// @ts-ignore: decorator
@inline const L_DB: usize = 44;
// @ts-ignore: decorator
@inline const L_DX: usize = 48;

/** Below this many elements a plain loop beats a call into the SIMD kernels (same bits either way). */
// @ts-ignore: decorator
@inline const SMALL: i32 = 64;

// Activation codes.
// @ts-ignore: decorator
@inline const ACT_IDENTITY: i32 = 0;
// @ts-ignore: decorator
@inline const ACT_RELU: i32 = 1;
// @ts-ignore: decorator
@inline const ACT_SIGMOID: i32 = 2;
// @ts-ignore: decorator
@inline const ACT_TANH: i32 = 3;
// @ts-ignore: decorator
@inline const ACT_SOFTMAX: i32 = 4;

// Loss codes.
// @ts-ignore: decorator
@inline const LOSS_MSE: i32 = 0;
// @ts-ignore: decorator
@inline const LOSS_CE: i32 = 1;

// Hyperparameters (f64 at `hp`).
// @ts-ignore: decorator
@inline const HP_LR: usize = 0;
// @ts-ignore: decorator
@inline const HP_WD: usize = 8;
// @ts-ignore: decorator
@inline const HP_LO: usize = 16;
// @ts-ignore: decorator
@inline const HP_HI: usize = 24;

// @ts-ignore: decorator
@inline function at(base: usize, field: usize): usize {
  return <usize>load<i32>(base + field);
}

// @ts-ignore: decorator
@inline function get<T>(base: usize, i: i32): f64 {
  return <f64>load<T>(base + (<usize>i << alignof<T>()));
}

// @ts-ignore: decorator
@inline function put<T>(base: usize, i: i32, v: f64): void {
  store<T>(base + (<usize>i << alignof<T>()), <T>v);
}

/** Two consecutive elements at `ptr` as f64 lanes. */
// @ts-ignore: decorator
@inline function loadPair<T>(ptr: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
  return v128.load(ptr);
}

/** Stores two f64 lanes at `ptr`, rounded to T. */
// @ts-ignore: decorator
@inline function storePair<T>(ptr: usize, v: v128): void {
  if (sizeof<T>() == 4) v128.store64_lane(ptr, f32x4.demote_f64x2_zero(v), 0);
  else v128.store(ptr, v);
}

/** σ(x) as @backprop/activations' logistic: exp only ever sees a non-positive argument. */
// @ts-ignore: decorator
@inline function logistic(x: f64): f64 {
  if (x >= 0) return 1 / (1 + expF64(-x));
  const e = expF64(x);
  return e / (1 + e);
}

/** The probability clamp of the cross-entropies: `v < lo ? lo : v > hi ? hi : v` (NaN stays NaN). */
// @ts-ignore: decorator
@inline function clamp(v: f64, lo: f64, hi: f64): f64 {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Σ a[p]·b[p] over p = 0…k−1 (byte strides aP, bP), one float64 sum from 0 in increasing p. The
 * short sums of tiny layers are written out: a loop of one to four steps costs more than its
 * arithmetic. The order, and so the bits, are the loop's.
 */
// @ts-ignore: decorator
@inline function dot<T>(a: usize, b: usize, aP: usize, bP: usize, k: i32): f64 {
  if (k == 1) return 0 + <f64>load<T>(a) * <f64>load<T>(b);
  if (k == 2) return 0 + <f64>load<T>(a) * <f64>load<T>(b) + <f64>load<T>(a + aP) * <f64>load<T>(b + bP);
  if (k == 3) {
    return (
      0 +
      <f64>load<T>(a) * <f64>load<T>(b) +
      <f64>load<T>(a + aP) * <f64>load<T>(b + bP) +
      <f64>load<T>(a + 2 * aP) * <f64>load<T>(b + 2 * bP)
    );
  }
  if (k == 4) {
    return (
      0 +
      <f64>load<T>(a) * <f64>load<T>(b) +
      <f64>load<T>(a + aP) * <f64>load<T>(b + bP) +
      <f64>load<T>(a + 2 * aP) * <f64>load<T>(b + 2 * bP) +
      <f64>load<T>(a + 3 * aP) * <f64>load<T>(b + 3 * bP)
    );
  }
  let v: f64 = 0;
  for (let p = 0; p < k; p++) {
    v += <f64>load<T>(a) * <f64>load<T>(b);
    a += aP;
    b += bP;
  }
  return v;
}

/** c = a·b (m×k times k×n, row-major; transposes as gemm's flags), through gemm or the reference sums. */
function product<T>(
  useGemm: bool, transA: bool, transB: bool, m: i32, n: i32, k: i32, a: usize, b: usize, c: usize, panel: usize,
): void {
  if (useGemm) {
    // As the layer step does for the weight gradient: zeroed, then accumulated onto (the other
    // products overwrite).
    if (transA) memory.fill(c, 0, <usize>(m * n) << alignof<T>());
    if (sizeof<T>() == 4) gemmF32(transA, transB, m, n, k, a, b, c, transA, panel, 0, m, 0, n);
    else gemmF64(transA, transB, m, n, k, a, b, c, transA, panel, 0, m, 0, n);
    return;
  }
  // A(i, p) = a[transA ? p·m + i : i·k + p]; B(p, j) = b[transB ? j·k + p : p·n + j]: byte strides
  // per i, per j and per p, walked with pointers.
  const size = <usize>sizeof<T>();
  const aI: usize = transA ? size : <usize>k * size;
  const aP: usize = transA ? <usize>m * size : size;
  const bJ: usize = transB ? <usize>k * size : size;
  const bP: usize = transB ? size : <usize>n * size;
  // With B untransposed, B(p, j) and B(p, j + 1) are neighbours: two outputs at a time, one per
  // f64x2 lane, each lane the same sum from 0 in increasing p (the same bits as `dot`).
  const pairs = transB ? 0 : n >> 1;
  for (let i = 0; i < m; i++) {
    const aRow = a + <usize>i * aI;
    let out = c + <usize>(i * n) * size;
    for (let q = 0; q < pairs; q++) {
      let pa = aRow;
      let pb = b + (<usize>q << 1) * size;
      let v = f64x2.splat(0);
      for (let p = 0; p < k; p++) {
        v = f64x2.add(v, f64x2.mul(f64x2.splat(<f64>load<T>(pa)), loadPair<T>(pb)));
        pa += aP;
        pb += bP;
      }
      storePair<T>(out, v);
      out += size << 1;
    }
    for (let j = pairs << 1; j < n; j++) {
      store<T>(out, <T>dot<T>(aRow, b + <usize>j * bJ, aP, bP, k));
      out += size;
    }
  }
}

/**
 * y = act(z) for rows×n elements; softmax row by row as @backprop/activations' softmax. σ and the
 * softmax exponentials run two at a time (libm's f64x2 forms have each lane's scalar bits);
 * `scratch` holds rows×n doubles.
 */
function activate<T>(act: i32, rows: i32, n: i32, z: usize, y: usize, scratch: usize): void {
  const total = rows * n;
  if (act == ACT_RELU) {
    if (total >= SMALL) {
      if (sizeof<T>() == 4) reluF32(z, y, total);
      else reluF64(z, y, total);
    } else {
      for (let i = 0; i < total; i++) {
        const v = get<T>(z, i);
        put<T>(y, i, v < 0 ? 0 : v);
      }
    }
  } else if (act == ACT_SIGMOID) {
    const size = <usize>sizeof<T>();
    const pairsEnd = <usize>(total & ~1) * size;
    let i: usize = 0;
    // Two pairs per turn: independent chains the processor can overlap.
    const quadsEnd = <usize>(total & ~3) * size;
    for (; i < quadsEnd; i += size << 2) {
      const a = sigmoidF64x2(loadPair<T>(z + i));
      const b = sigmoidF64x2(loadPair<T>(z + i + (size << 1)));
      storePair<T>(y + i, a);
      storePair<T>(y + i + (size << 1), b);
    }
    for (; i < pairsEnd; i += size << 1) storePair<T>(y + i, sigmoidF64x2(loadPair<T>(z + i)));
    if (total & 1) put<T>(y, total - 1, logistic(get<T>(z, total - 1)));
  } else if (act == ACT_TANH) {
    for (let i = 0; i < total; i++) put<T>(y, i, tanhF64(get<T>(z, i)));
  } else if (act == ACT_SOFTMAX) {
    // The arguments z − (row maximum), all rows, then their exponentials two at a time.
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let m: f64 = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = get<T>(z, base + j);
        if (v > m) m = v;
      }
      for (let j = 0; j < n; j++) store<f64>(scratch + (<usize>(base + j) << 3), get<T>(z, base + j) - m);
    }
    const pairsEnd = <usize>(total & ~1) << 3;
    const quadsEnd = <usize>(total & ~3) << 3;
    let i: usize = 0;
    for (; i < quadsEnd; i += 32) {
      const a = expF64x2(v128.load(scratch + i));
      const b = expF64x2(v128.load(scratch + i + 16));
      v128.store(scratch + i, a);
      v128.store(scratch + i + 16, b);
    }
    for (; i < pairsEnd; i += 16) v128.store(scratch + i, expF64x2(v128.load(scratch + i)));
    if (total & 1) {
      const last = scratch + (<usize>(total - 1) << 3);
      store<f64>(last, expF64(load<f64>(last)));
    }
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      // The stored exponential is rounded; the sum adds the unrounded one.
      let s: f64 = 0;
      for (let j = 0; j < n; j++) {
        const e = load<f64>(scratch + (<usize>(base + j) << 3));
        put<T>(y, base + j, e);
        s += e;
      }
      for (let j = 0; j < n; j++) put<T>(y, base + j, get<T>(y, base + j) / s);
    }
  }
  // identity: y is z (the plan gives the same region).
}

/** dz = dy ⊙ act'(z, y), as each activation's backward loop (softmax: its Jacobian-vector product). */
function activateBackward<T>(act: i32, rows: i32, n: i32, z: usize, y: usize, dy: usize, dz: usize): void {
  const total = rows * n;
  if (act == ACT_IDENTITY) {
    if (dz != dy) memory.copy(dz, dy, <usize>total << alignof<T>());
  } else if (act == ACT_RELU) {
    for (let i = 0; i < total; i++) put<T>(dz, i, get<T>(dy, i) * (get<T>(z, i) > 0 ? 1.0 : 0.0));
  } else if (act == ACT_SIGMOID) {
    // Two at a time: the same float64 operations on each lane, rounded once when stored.
    const size = <usize>sizeof<T>();
    const pairsEnd = <usize>(total & ~1) * size;
    const one = f64x2.splat(1);
    for (let i: usize = 0; i < pairsEnd; i += size << 1) {
      const s = loadPair<T>(y + i);
      storePair<T>(dz + i, f64x2.mul(loadPair<T>(dy + i), f64x2.mul(s, f64x2.sub(one, s))));
    }
    if (total & 1) {
      const s = get<T>(y, total - 1);
      put<T>(dz, total - 1, get<T>(dy, total - 1) * (s * (1 - s)));
    }
  } else if (act == ACT_TANH) {
    for (let i = 0; i < total; i++) {
      const t = get<T>(y, i);
      put<T>(dz, i, get<T>(dy, i) * (1 - t * t));
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let dot: f64 = 0;
      for (let j = 0; j < n; j++) dot += get<T>(dy, base + j) * get<T>(y, base + j);
      for (let j = 0; j < n; j++) put<T>(dz, base + j, get<T>(y, base + j) * (get<T>(dy, base + j) - dot));
    }
  }
}

/** The loss of the outputs `o` (rows×n) against `t`, as @backprop/layers computes it. */
function lossValue<T>(code: i32, rows: i32, n: i32, o: usize, t: usize, lo: f64, hi: f64, scratch: usize): f64 {
  const total = rows * n;
  let s: f64 = 0;
  if (code == LOSS_MSE) {
    if (total == 0) return 0;
    for (let i = 0; i < total; i++) {
      const e = get<T>(o, i) - get<T>(t, i);
      s += e * e;
    }
    return s / <f64>total;
  }
  if (code == LOSS_CE) {
    if (rows == 0) return 0;
    // The clamped probabilities of the non-zero targets, gathered; their logarithms two at a time;
    // then the sum in the original order.
    let count = 0;
    for (let i = 0; i < total; i++) {
      if (get<T>(t, i) == 0) continue;
      store<f64>(scratch + (<usize>count << 3), clamp(get<T>(o, i), lo, hi));
      count++;
    }
    let c = 0;
    for (; c + 2 <= count; c += 2) {
      const at = scratch + (<usize>c << 3);
      v128.store(at, logF64x2(v128.load(at)));
    }
    if (c < count) store<f64>(scratch + (<usize>c << 3), logF64(load<f64>(scratch + (<usize>c << 3))));
    c = 0;
    for (let i = 0; i < total; i++) {
      const y = get<T>(t, i);
      if (y == 0) continue;
      s -= y * load<f64>(scratch + (<usize>c << 3));
      c++;
    }
    return s / <f64>rows;
  }
  return 0;
}

/**
 * dLoss/dOutput into `g` (or δ = dLoss/dz directly when `fused`: softmax with cross-entropy).
 */
function lossGradient<T>(code: i32, fused: bool, rows: i32, n: i32, o: usize, t: usize, g: usize, lo: f64, hi: f64, scratch: usize): void {
  const total = rows * n;
  if (fused && code == LOSS_CE) {
    // Each element's row sum Σⱼ tⱼ (summed in order) into `scratch`, then (p·Σt − t)/B two
    // elements at a time: the same float64 operations per lane.
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      let sumT: f64 = 0;
      for (let j = 0; j < n; j++) sumT += get<T>(t, base + j);
      for (let j = 0; j < n; j++) store<f64>(scratch + (<usize>(base + j) << 3), sumT);
    }
    const size = <usize>sizeof<T>();
    const b = f64x2.splat(<f64>rows);
    let i = 0;
    for (; i + 2 <= total; i += 2) {
      const at = <usize>i * size;
      const v = f64x2.sub(f64x2.mul(loadPair<T>(o + at), v128.load(scratch + (<usize>i << 3))), loadPair<T>(t + at));
      storePair<T>(g + at, f64x2.div(v, b));
    }
    if (i < total) put<T>(g, i, (get<T>(o, i) * load<f64>(scratch + (<usize>i << 3)) - get<T>(t, i)) / <f64>rows);
  } else if (code == LOSS_MSE) {
    const k = 2 / <f64>total;
    const size = <usize>sizeof<T>();
    const pairsEnd = <usize>(total & ~1) * size;
    const kv = f64x2.splat(k);
    for (let i: usize = 0; i < pairsEnd; i += size << 1) storePair<T>(g + i, f64x2.mul(kv, f64x2.sub(loadPair<T>(o + i), loadPair<T>(t + i))));
    if (total & 1) put<T>(g, total - 1, k * (get<T>(o, total - 1) - get<T>(t, total - 1)));
  } else {
    for (let i = 0; i < total; i++) {
      const y = get<T>(t, i);
      put<T>(g, i, y == 0 ? 0 : -y / (clamp(get<T>(o, i), lo, hi) * <f64>rows));
    }
  }
}

/** 1 when some of the n elements at `a` is ±∞ or NaN, else 0. */
// @ts-ignore: decorator
@inline function nonFinite<T>(a: usize, n: i32): i32 {
  if (n >= SMALL) return sizeof<T>() == 4 ? nonFiniteF32(a, n) : nonFiniteF64(a, n);
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += get<T>(a, i) * 0;
  return i32(s != s);
}

/** p ← p − lr·(g + wd·p) over n elements, in float64, rounded once (the sgd rule's kernel). */
// @ts-ignore: decorator
@inline function descend<T>(p: usize, g: usize, n: i32, lr: f64, wd: f64): void {
  if (n >= SMALL) {
    if (sizeof<T>() == 4) sgdF32(p, g, n, lr, wd);
    else sgdF64(p, g, n, lr, wd);
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = get<T>(p, i);
    put<T>(p, i, v - lr * (get<T>(g, i) + wd * v));
  }
}

function epochs<T>(plan: usize, hp: usize, count: i32): i32 {
  const layers = load<i32>(plan + H_LAYERS);
  const rows = load<i32>(plan + H_ROWS);
  const lossCode = load<i32>(plan + H_LOSS);
  const fused = load<i32>(plan + H_FUSED) != 0;
  const x = at(plan, H_X);
  const t = at(plan, H_Y);
  const g = at(plan, H_G);
  const losses = at(plan, H_LOSSES);
  const panel = at(plan, H_PANEL);
  const scratch = at(plan, H_SCRATCH);
  const params = at(plan, H_PARAMS);
  const grads = at(plan, H_GRADS);
  const paramCount = load<i32>(plan + H_PARAM_COUNT);
  const lr = load<f64>(hp + HP_LR);
  const wd = load<f64>(hp + HP_WD);
  const lo = load<f64>(hp + HP_LO);
  const hi = load<f64>(hp + HP_HI);
  const last = plan + H_LAYER0 + <usize>(layers - 1) * LAYER_BYTES;
  const outUnits = load<i32>(last + L_N);
  for (let epoch = 0; epoch < count; epoch++) {
    // 1. forward
    let input = x;
    for (let l = 0; l < layers; l++) {
      const d = plan + H_LAYER0 + <usize>l * LAYER_BYTES;
      const k = load<i32>(d + L_K);
      const n = load<i32>(d + L_N);
      const z = at(d, L_Z);
      product<T>(load<i32>(d + L_GEMM) != 0, false, false, rows, n, k, input, at(d, L_W), z, panel);
      // The bias add and (below) the bias sums, probes and updates are the backend's own kernels:
      // one rounded add per element, column sums in increasing row order, SGD in float64.
      if (load<i32>(d + L_BIAS) != 0) {
        const b = at(d, L_B);
        if (rows * n >= SMALL) {
          if (sizeof<T>() == 4) addRowVectorF32(rows, n, z, b, z);
          else addRowVectorF64(rows, n, z, b, z);
        } else {
          for (let r = 0; r < rows; r++) {
            for (let j = 0; j < n; j++) put<T>(z, r * n + j, get<T>(z, r * n + j) + get<T>(b, j));
          }
        }
      }
      activate<T>(load<i32>(d + L_ACT), rows, n, z, at(d, L_Y), scratch);
      input = at(d, L_Y);
    }
    // 2. the loss (+ 0, the penalties of layers without regularizers)
    const value = lossValue<T>(lossCode, rows, outUnits, at(last, L_Y), t, lo, hi, scratch) + 0;
    if (!isFinite(value)) return epoch;
    // 3. backward
    const lastAct = load<i32>(last + L_ACT);
    if (fused) {
      lossGradient<T>(lossCode, true, rows, outUnits, at(last, L_Y), t, at(last, L_DZ), lo, hi, scratch);
    } else {
      lossGradient<T>(lossCode, false, rows, outUnits, at(last, L_Y), t, g, lo, hi, scratch);
      activateBackward<T>(lastAct, rows, outUnits, at(last, L_Z), at(last, L_Y), g, at(last, L_DZ));
    }
    for (let l = layers - 1; l >= 0; l--) {
      const d = plan + H_LAYER0 + <usize>l * LAYER_BYTES;
      const k = load<i32>(d + L_K);
      const n = load<i32>(d + L_N);
      const useGemm = load<i32>(d + L_GEMM) != 0;
      const dz = at(d, L_DZ);
      const a = l > 0 ? at(d - LAYER_BYTES, L_Y) : x;
      const dw = at(d, L_DW);
      product<T>(useGemm, true, false, k, n, rows, a, dz, dw, panel);
      if (load<i32>(d + L_BIAS) != 0) {
        const db = at(d, L_DB);
        if (rows * n >= SMALL) {
          if (sizeof<T>() == 4) sumColumnsF32(rows, n, dz, db, 0);
          else sumColumnsF64(rows, n, dz, db, 0);
        } else {
          for (let j = 0; j < n; j++) {
            let v: f64 = 0;
            for (let r = 0; r < rows; r++) v = <f64><T>(v + get<T>(dz, r * n + j));
            put<T>(db, j, v);
          }
        }
      }
      if (l == 0) break;
      const prev = d - LAYER_BYTES;
      const dx = at(d, L_DX);
      product<T>(useGemm, false, true, rows, k, n, dz, at(d, L_W), dx, panel);
      activateBackward<T>(load<i32>(prev + L_ACT), rows, k, at(prev, L_Z), at(prev, L_Y), dx, at(prev, L_DZ));
    }
    // Every gradient checked, then every parameter updated, each in one pass over the packed blocks.
    if (nonFinite<T>(grads, paramCount) != 0) return epoch;
    // 4. the update
    descend<T>(params, grads, paramCount, lr, wd);
    store<f64>(losses + (<usize>epoch << 3), value);
  }
  return count;
}

/** `count` full-batch float32 epochs of the plan at `plan` (see src/wasm-dense-epochs.ts); returns the epochs completed. */
export function denseEpochsF32(plan: usize, hp: usize, count: i32): i32 {
  return epochs<f32>(plan, hp, count);
}


/** Math.exp's bits as libm.ts computes them: the backend compares them with the engine's at start-up. */
export function libmExp(x: f64): f64 {
  return expF64(x);
}

/** Math.log's, likewise. */
export function libmLog(x: f64): f64 {
  return logF64(x);
}

/** Math.tanh's, likewise. */
export function libmTanh(x: f64): f64 {
  return tanhF64(x);
}
