// AssemblyScript source of the optimizer updates of `@backprop/optimizers` (SGD in float32 and
// float64; SGD with momentum and Adam in float32 — float64 ones run the rules' own loops, which
// keeps this module, shipped in every bundle, smaller) and of the finiteness check a training
// step runs on every gradient (compiled
// with the other kernels by scripts/build-wasm.mjs, exported through index.ts).
//
// The TypeScript rules compute every update in float64 — a float32 parameter or gradient is read
// exactly into a double — and round once, when storing into the parameter; the slots (momentum,
// moments) are float64 arrays. These kernels do the same on f64x2 lanes: float32 elements are
// promoted (exact), the formula runs in the order the TypeScript writes it, and the result is
// demoted (one rounding, as Float32Array's store). Wasm never fuses a multiply and an add on its
// own, and its sqrt and division round correctly, as JavaScript's do: the bits are the rules'.
//
// Arrays are at byte addresses, `n` elements long; a float32 array starts 16-byte aligned.

/** The two float32 elements at `ptr` as doubles (a 64-bit load, no shuffle). */
// @ts-ignore: decorator
@inline function pairF64(ptr: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(ptr));
}

/** Rounds two doubles to float32 and stores them at `ptr` (a 64-bit store, no shuffle). */
// @ts-ignore: decorator
@inline function storePairF32(ptr: usize, v: v128): void {
  v128.store64_lane(ptr, f32x4.demote_f64x2_zero(v), 0);
}

// ---------------------------------------------------------------------------------------------
// SGD: p ← p − lr·(g + wd·p)

// @ts-ignore: decorator
@inline function sgdLanes(p: v128, g: v128, lr: v128, wd: v128): v128 {
  return f64x2.sub(p, f64x2.mul(lr, f64x2.add(g, f64x2.mul(wd, p))));
}

/** Plain SGD on float32 `value` from float32 `grad`. */
export function sgdF32(value: usize, grad: usize, n: i32, lr: f64, wd: f64): void {
  const lrv = f64x2.splat(lr);
  const wdv = f64x2.splat(wd);
  // Two elements per turn (one inlined copy of the formula: the module ships in every bundle).
  const vecEnd = <usize>(n & ~1) << 2;
  const bytes = <usize>n << 2;
  let i: usize = 0;
  for (; i < vecEnd; i += 8) storePairF32(value + i, sgdLanes(pairF64(value + i), pairF64(grad + i), lrv, wdv));
  for (; i < bytes; i += 4) {
    const p = <f64>load<f32>(value + i);
    store<f32>(value + i, <f32>(p - lr * (<f64>load<f32>(grad + i) + wd * p)));
  }
}

/** Plain SGD on float64 `value` from float64 `grad`. */
export function sgdF64(value: usize, grad: usize, n: i32, lr: f64, wd: f64): void {
  const lrv = f64x2.splat(lr);
  const wdv = f64x2.splat(wd);
  const vecEnd = <usize>(n & ~1) << 3;
  const bytes = <usize>n << 3;
  let i: usize = 0;
  for (; i < vecEnd; i += 16) v128.store(value + i, sgdLanes(v128.load(value + i), v128.load(grad + i), lrv, wdv));
  for (; i < bytes; i += 8) {
    const p = load<f64>(value + i);
    store<f64>(value + i, p - lr * (load<f64>(grad + i) + wd * p));
  }
}

/** sgdF32 with lr and wd read as two doubles at `hp` (a helper thread gets only i32 arguments). */
export function sgdAtF32(value: usize, grad: usize, n: i32, hp: usize): void {
  sgdF32(value, grad, n, load<f64>(hp), load<f64>(hp + 8));
}

/** sgdF64 with lr and wd read as two doubles at `hp`. */
export function sgdAtF64(value: usize, grad: usize, n: i32, hp: usize): void {
  sgdF64(value, grad, n, load<f64>(hp), load<f64>(hp + 8));
}

// ---------------------------------------------------------------------------------------------
// SGD with momentum (PyTorch's, dampening 0):
//   d ← g + wd·p;  b ← mu·b + d;  p ← p − lr·(nesterov ? d + mu·b : b)
// `b` is stored in the float64 buffer and used unrounded, as the TypeScript rule does.

/** One f64x2 pair of the momentum update; stores b at `buf` and returns the new p. */
// @ts-ignore: decorator
@inline function momentumLanes(p: v128, g: v128, buf: usize, lr: v128, mu: v128, wd: v128, nesterov: bool): v128 {
  const d = f64x2.add(g, f64x2.mul(wd, p));
  const b = f64x2.add(f64x2.mul(mu, v128.load(buf)), d);
  v128.store(buf, b);
  const step = nesterov ? f64x2.add(d, f64x2.mul(mu, b)) : b;
  return f64x2.sub(p, f64x2.mul(lr, step));
}

/** SGD with momentum on float32 `value` and `grad`, float64 `buffer`. */
export function momentumF32(value: usize, grad: usize, buffer: usize, n: i32, lr: f64, mu: f64, wd: f64, nesterov: i32): void {
  const lrv = f64x2.splat(lr);
  const muv = f64x2.splat(mu);
  const wdv = f64x2.splat(wd);
  const nest = nesterov != 0;
  const pairs = n >> 1;
  for (let q = 0; q < pairs; q++) {
    const at = <usize>q << 3;
    storePairF32(value + at, momentumLanes(pairF64(value + at), pairF64(grad + at), buffer + (<usize>q << 4), lrv, muv, wdv, nest));
  }
  for (let i = pairs << 1; i < n; i++) {
    const p = <f64>load<f32>(value + (<usize>i << 2));
    const d = <f64>load<f32>(grad + (<usize>i << 2)) + wd * p;
    const bAt = buffer + (<usize>i << 3);
    const b = mu * load<f64>(bAt) + d;
    store<f64>(bAt, b);
    store<f32>(value + (<usize>i << 2), <f32>(p - lr * (nest ? d + mu * b : b)));
  }
}

// ---------------------------------------------------------------------------------------------
// Adam (with optional AMSGrad), as @backprop/optimizers' adam writes it:
//   g ← g + wd·p
//   m ← β₁·m + (1 − β₁)·g;  v ← β₂·v + (1 − β₂)·g·g     (both stored, float64)
//   amsgrad: v ← max(vmax, v), stored in vmax
//   p ← p − (stepSize·m) / (√v / sqrtCorrection2 + eps)
// with stepSize = lr / (1 − β₁ᵗ) and sqrtCorrection2 = √(1 − β₂ᵗ) computed by the caller.

/** The scalars of one Adam step, laid out by the caller at `hp` as 7 doubles. */
// @ts-ignore: decorator
@inline const A_STEP_SIZE: usize = 0;
// @ts-ignore: decorator
@inline const A_SQRT_CORRECTION2: usize = 8;
// @ts-ignore: decorator
@inline const A_BETA1: usize = 16;
// @ts-ignore: decorator
@inline const A_BETA2: usize = 24;
// @ts-ignore: decorator
@inline const A_EPS: usize = 32;
// @ts-ignore: decorator
@inline const A_WD: usize = 40;

/** One f64x2 pair of Adam; updates the moments at `m`, `v` (and `vmax` when not 0), returns the new p. */
// @ts-ignore: decorator
@inline function adamLanes(p: v128, g0: v128, m: usize, v: usize, vmax: usize, hp: usize): v128 {
  const beta1 = load<f64>(hp + A_BETA1);
  const beta2 = load<f64>(hp + A_BETA2);
  const g = f64x2.add(g0, f64x2.mul(f64x2.splat(load<f64>(hp + A_WD)), p));
  const mNew = f64x2.add(f64x2.mul(f64x2.splat(beta1), v128.load(m)), f64x2.mul(f64x2.splat(1 - beta1), g));
  let vNew = f64x2.add(f64x2.mul(f64x2.splat(beta2), v128.load(v)), f64x2.mul(f64x2.mul(f64x2.splat(1 - beta2), g), g));
  v128.store(m, mNew);
  v128.store(v, vNew);
  if (vmax != 0) {
    vNew = f64x2.max(v128.load(vmax), vNew);
    v128.store(vmax, vNew);
  }
  const denom = f64x2.add(f64x2.div(f64x2.sqrt(vNew), f64x2.splat(load<f64>(hp + A_SQRT_CORRECTION2))), f64x2.splat(load<f64>(hp + A_EPS)));
  return f64x2.sub(p, f64x2.div(f64x2.mul(f64x2.splat(load<f64>(hp + A_STEP_SIZE)), mNew), denom));
}

/** One element of Adam, scalar (the tails). */
// @ts-ignore: decorator
@inline function adamScalar(p: f64, g0: f64, m: usize, v: usize, vmax: usize, hp: usize): f64 {
  const beta1 = load<f64>(hp + A_BETA1);
  const beta2 = load<f64>(hp + A_BETA2);
  const g = g0 + load<f64>(hp + A_WD) * p;
  const mNew = beta1 * load<f64>(m) + (1 - beta1) * g;
  let vNew = beta2 * load<f64>(v) + (1 - beta2) * g * g;
  store<f64>(m, mNew);
  store<f64>(v, vNew);
  if (vmax != 0) {
    vNew = max(load<f64>(vmax), vNew);
    store<f64>(vmax, vNew);
  }
  return p - (load<f64>(hp + A_STEP_SIZE) * mNew) / (sqrt(vNew) / load<f64>(hp + A_SQRT_CORRECTION2) + load<f64>(hp + A_EPS));
}

/** Adam on float32 `value` and `grad`, float64 moments `m`, `v` and `vmax` (0 without AMSGrad). */
export function adamF32(value: usize, grad: usize, m: usize, v: usize, vmax: usize, n: i32, hp: usize): void {
  const pairs = n >> 1;
  for (let q = 0; q < pairs; q++) {
    const at = <usize>q << 3;
    const s = <usize>q << 4;
    storePairF32(value + at, adamLanes(pairF64(value + at), pairF64(grad + at), m + s, v + s, vmax != 0 ? vmax + s : 0, hp));
  }
  for (let i = pairs << 1; i < n; i++) {
    const at = <usize>i << 2;
    const s = <usize>i << 3;
    const p = <f64>load<f32>(value + at);
    store<f32>(value + at, <f32>adamScalar(p, <f64>load<f32>(grad + at), m + s, v + s, vmax != 0 ? vmax + s : 0, hp));
  }
}

// ---------------------------------------------------------------------------------------------
// Finiteness: x·0 is 0 for a finite x and NaN for ±∞ or NaN, and NaN survives a sum.

/** 1 when some float32 element of the n at `src` is ±∞ or NaN, else 0. */
export function nonFiniteF32(src: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let acc0 = zero;
  let acc1 = zero;
  const bytes = <usize>n << 2;
  const pairEnd = <usize>(n & ~7) << 2;
  let i: usize = 0;
  for (; i < pairEnd; i += 32) {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(src + i), zero));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(src + i + 16), zero));
  }
  let s: f32 = 0;
  for (; i < bytes; i += 4) s += load<f32>(src + i) * 0;
  const acc = f32x4.add(acc0, acc1);
  s += f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  return i32(s != s);
}

/** 1 when some float64 element of the n at `src` is ±∞ or NaN, else 0. */
export function nonFiniteF64(src: usize, n: i32): i32 {
  const zero = f64x2.splat(0);
  let acc0 = zero;
  let acc1 = zero;
  const bytes = <usize>n << 3;
  const pairEnd = <usize>(n & ~3) << 3;
  let i: usize = 0;
  for (; i < pairEnd; i += 32) {
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(src + i), zero));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(src + i + 16), zero));
  }
  let s: f64 = 0;
  for (; i < bytes; i += 8) s += load<f64>(src + i) * 0;
  const acc = f64x2.add(acc0, acc1);
  s += f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  return i32(s != s);
}
