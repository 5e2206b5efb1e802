// AssemblyScript source of the LSTM's time loop in float32 (compiled with the other kernels by
// scripts/build-wasm.mjs, exported through index.ts): each step's recurrent product and its gates
// in one call for the whole sequence, so nothing returns to JavaScript between steps.
//
// In JavaScript the five transcendental functions of a unit-step (σ three times, tanh twice) cost
// ~10 ns each — most of an LSTM's forward pass. Here they are four-lane polynomials in float32:
// - exp: Cephes' expf (range reduction by ln 2 in two parts, a degree-5 polynomial, the exponent
//   built from the integer part), within 2 ulp on the clamped range;
// - σ(x) = 1/(1 + exp(−x)), exact in relative terms on both sides (a quotient, no cancellation);
// - tanh: Cephes' odd polynomial for |x| < 0.625, where 1 − 2/(e^{2x} + 1) would cancel, and that
//   form above it.
// So results are within a few float32 ulp of the float64 reference loop of the layers package,
// not its bits: this kernel is an optional `KernelBackend` hook whose contract says so.
//
// Layouts are those of the layers package (time-major, each step a batch × width block): `z`
// holds each step's input projection x·W + b and receives the recurrent product; `h` and `c` are
// state histories of steps + 1 slots (slot 0 the initial state); `mask`, when not 0, is one byte per
// (step, sample), 0 for a padded step, which carries the states over.

import { gemmF32 } from "./gemm";

// @ts-ignore: decorator
@inline const LOG2E: f32 = 1.44269504088896341;
// @ts-ignore: decorator
@inline const LN2_HI: f32 = 0.693359375;
// @ts-ignore: decorator
@inline const LN2_LO: f32 = -2.12194440e-4;
// @ts-ignore: decorator
@inline const EXP_MAX: f32 = 88.3762626647949;
// @ts-ignore: decorator
@inline const EXP_MIN: f32 = -88.3762626647949;

// @ts-ignore: decorator
@inline
function expF32x4(x0: v128): v128 {
  const x1 = f32x4.max(f32x4.min(x0, f32x4.splat(EXP_MAX)), f32x4.splat(EXP_MIN));
  const k = f32x4.floor(f32x4.add(f32x4.mul(x1, f32x4.splat(LOG2E)), f32x4.splat(0.5)));
  const r = f32x4.sub(f32x4.sub(x1, f32x4.mul(k, f32x4.splat(LN2_HI))), f32x4.mul(k, f32x4.splat(LN2_LO)));
  const r2 = f32x4.mul(r, r);
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
  // 2^k: k + 127 in the exponent field. k ∈ [−127, 128] after the clamp; k = 128 only for x near
  // EXP_MAX, where y < 1 keeps the product finite — split 2^k into two factors to stay in range.
  const ki = i32x4.trunc_sat_f32x4_s(k);
  const half = i32x4.shr_s(ki, 1);
  const a = i32x4.shl(i32x4.add(half, i32x4.splat(127)), 23);
  const b = i32x4.shl(i32x4.add(i32x4.sub(ki, half), i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(y, a), b);
}

// @ts-ignore: decorator
@inline
function sigmoidF32x4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expF32x4(f32x4.neg(x))));
}

// @ts-ignore: decorator
@inline
function tanhF32x4(x: v128): v128 {
  const one = f32x4.splat(1);
  // Large |x|: 1 − 2/(e^{2x} + 1), which saturates to ±1 without overflow (e^{2x} is clamped).
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expF32x4(f32x4.add(x, x)), one)));
  // Small |x|: x + x³·P(x²) (Cephes tanhf).
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const useSmall = f32x4.lt(f32x4.abs(x), f32x4.splat(0.625));
  return v128.bitselect(small, big, useSmall);
}

/** Copies `bytes` (a multiple of 4) from `from` to `to`. */
// @ts-ignore: decorator
@inline
function copyRow(from: usize, to: usize, bytes: usize): void {
  memory.copy(to, from, bytes);
}

/**
 * The forward time loop of an LSTM with σ gates and tanh (units a multiple of 4): for each step,
 * z_t += h_t·U, then i, f, g, o = σ, σ, tanh, σ of z_t's four blocks (written to `gates`),
 * c = f·c₋₁ + i·g, tanh(c) (to `cellOut`), h = o·tanh(c). `panel` is GEMM scratch of at least
 * units·32 + 128 bytes.
 */
export function lstmForwardF32(
  steps: i32, batch: i32, units: i32, z: usize, recurrent: usize, h: usize, c: usize,
  gates: usize, cellOut: usize, mask: usize, panel: usize,
): void {
  const width = units << 2;
  const rowBytes = <usize>width << 2;
  const unitBytes = <usize>units << 2;
  const block = <usize>batch * unitBytes;
  for (let t = 0; t < steps; t++) {
    const zt = z + <usize>t * batch * rowBytes;
    const gt = gates + <usize>t * batch * rowBytes;
    const hPrev = h + <usize>t * block;
    const cPrev = c + <usize>t * block;
    const hNext = hPrev + block;
    const cNext = cPrev + block;
    const outT = cellOut + <usize>t * block;
    gemmF32(false, false, batch, width, units, hPrev, recurrent, zt, true, panel, 0, batch, 0, width);
    for (let b = 0; b < batch; b++) {
      const zr = zt + <usize>b * rowBytes;
      const gr = gt + <usize>b * rowBytes;
      const at = <usize>b * unitBytes;
      if (mask != 0 && load<u8>(mask + <usize>t * batch + b) == 0) {
        copyRow(hPrev + at, hNext + at, unitBytes);
        copyRow(cPrev + at, cNext + at, unitBytes);
        memory.fill(gr, 0, rowBytes);
        memory.fill(outT + at, 0, unitBytes);
        continue;
      }
      for (let u: usize = 0; u < unitBytes; u += 16) {
        const i = sigmoidF32x4(v128.load(zr + u));
        const f = sigmoidF32x4(v128.load(zr + unitBytes + u));
        const g = tanhF32x4(v128.load(zr + 2 * unitBytes + u));
        const o = sigmoidF32x4(v128.load(zr + 3 * unitBytes + u));
        v128.store(gr + u, i);
        v128.store(gr + unitBytes + u, f);
        v128.store(gr + 2 * unitBytes + u, g);
        v128.store(gr + 3 * unitBytes + u, o);
        const cell = f32x4.add(f32x4.mul(f, v128.load(cPrev + at + u)), f32x4.mul(i, g));
        v128.store(cNext + at + u, cell);
        const tc = tanhF32x4(cell);
        v128.store(outT + at + u, tc);
        v128.store(hNext + at + u, f32x4.mul(o, tc));
      }
    }
  }
}

/**
 * Backpropagation through the time loop of {@link lstmForwardF32}: from dLoss/dh and dLoss/dc of
 * the final states (`dh`, `dc`, batch × units each, updated in place to those of the initial
 * states) and, when `outGrad` is not 0, dLoss/dOutput of every step (time-major), writes δ = dLoss/dz
 * of every step to `dz` and runs dh₋₁ = δ·Uᵀ step by step. `panel` is GEMM scratch of at least
 * units·128 + 128 bytes.
 */
export function lstmBackwardF32(
  steps: i32, batch: i32, units: i32, recurrent: usize, c: usize, gates: usize, cellOut: usize,
  mask: usize, outGrad: usize, dh: usize, dc: usize, dz: usize, panel: usize,
): void {
  const width = units << 2;
  const rowBytes = <usize>width << 2;
  const unitBytes = <usize>units << 2;
  const block = <usize>batch * unitBytes;
  const one = f32x4.splat(1);
  for (let t = steps - 1; t >= 0; t--) {
    const gt = gates + <usize>t * batch * rowBytes;
    const dzt = dz + <usize>t * batch * rowBytes;
    const cPrev = c + <usize>t * block;
    const outT = cellOut + <usize>t * block;
    const ogT = outGrad + <usize>t * block;
    for (let b = 0; b < batch; b++) {
      const gr = gt + <usize>b * rowBytes;
      const dr = dzt + <usize>b * rowBytes;
      const at = <usize>b * unitBytes;
      if (mask != 0 && load<u8>(mask + <usize>t * batch + b) == 0) {
        // The state skipped this step, so its gradient does too.
        if (outGrad != 0) {
          for (let u: usize = 0; u < unitBytes; u += 16) {
            v128.store(dh + at + u, f32x4.add(v128.load(dh + at + u), v128.load(ogT + at + u)));
          }
        }
        memory.fill(dr, 0, rowBytes);
        continue;
      }
      for (let u: usize = 0; u < unitBytes; u += 16) {
        let dhu = v128.load(dh + at + u);
        if (outGrad != 0) dhu = f32x4.add(dhu, v128.load(ogT + at + u));
        const i = v128.load(gr + u);
        const f = v128.load(gr + unitBytes + u);
        const g = v128.load(gr + 2 * unitBytes + u);
        const o = v128.load(gr + 3 * unitBytes + u);
        const tc = v128.load(outT + at + u);
        const dcu = f32x4.add(v128.load(dc + at + u), f32x4.mul(f32x4.mul(dhu, o), f32x4.sub(one, f32x4.mul(tc, tc))));
        v128.store(dr + u, f32x4.mul(f32x4.mul(dcu, g), f32x4.mul(i, f32x4.sub(one, i))));
        v128.store(dr + unitBytes + u, f32x4.mul(f32x4.mul(dcu, v128.load(cPrev + at + u)), f32x4.mul(f, f32x4.sub(one, f))));
        v128.store(dr + 2 * unitBytes + u, f32x4.mul(f32x4.mul(dcu, i), f32x4.sub(one, f32x4.mul(g, g))));
        v128.store(dr + 3 * unitBytes + u, f32x4.mul(f32x4.mul(dhu, tc), f32x4.mul(o, f32x4.sub(one, o))));
        v128.store(dc + at + u, f32x4.mul(dcu, f));
        v128.store(dh + at + u, f32x4.splat(0));
      }
    }
    gemmF32(false, true, batch, units, width, dzt, recurrent, dh, true, panel, 0, batch, 0, units);
  }
}
