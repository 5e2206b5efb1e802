import { createWasmBackend, isWasmSimdSupported, typescriptBackend, type KernelBackend } from "@backprop/linalg";
import { summarize, type Summary } from "./stats.js";

/** A GEMM shape of W1 and its role. */
export interface GemmShape {
  readonly label: string;
  readonly transA: boolean;
  readonly transB: boolean;
  readonly m: number;
  readonly n: number;
  readonly k: number;
}

/** The three products of W1's first layer at batch 64 (forward, weight gradient, input gradient). */
export const W1_SHAPES: readonly GemmShape[] = [
  { label: "X·W    64×784·784×128", transA: false, transB: false, m: 64, n: 128, k: 784 },
  { label: "Xᵀ·dZ  784×64·64×128", transA: true, transB: false, m: 784, n: 128, k: 64 },
  { label: "dZ·Wᵀ  64×128·128×784", transA: false, transB: true, m: 64, n: 784, k: 128 },
];

/** One backend × shape result in GFLOP/s (2·m·n·k per product). */
export interface GemmRow extends Summary {
  readonly backend: string;
  readonly shape: string;
}

/** The kernel backends to compare: TypeScript, WASM SIMD, and WASM SIMD with FMA when available. */
export function gemmBackends(): { label: string; backend: KernelBackend }[] {
  const out = [{ label: "typescript", backend: typescriptBackend as KernelBackend }];
  if (isWasmSimdSupported()) {
    out.push({ label: "wasm-simd", backend: createWasmBackend({ relaxed: false }) });
    const fused = createWasmBackend();
    if (fused.fused) out.push({ label: "wasm-simd-fma", backend: fused });
  }
  return out;
}

/**
 * Times each backend (those of {@link gemmBackends}, then `extra`) on each shape: reps of
 * ~`targetMs` each, after a warm-up.
 */
export function gemmBench(
  reps: number,
  targetMs: number,
  extra: readonly { label: string; backend: KernelBackend }[] = [],
): GemmRow[] {
  const rows: GemmRow[] = [];
  for (const { label, backend } of [...gemmBackends(), ...extra]) {
    for (const s of W1_SHAPES) {
      const a = new Float32Array(s.m * s.k).map((_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
      const b = new Float32Array(s.k * s.n).map((_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
      const c = new Float32Array(s.m * s.n);
      const flops = 2 * s.m * s.n * s.k;
      const t0 = performance.now();
      let calls = 0;
      while (performance.now() - t0 < targetMs / 2 || calls < 2) {
        backend.gemm(s.transA, s.transB, s.m, s.n, s.k, a, b, c, false);
        calls++;
      }
      const per = Math.max(1, Math.round((calls * targetMs) / (performance.now() - t0)));
      const values: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t = performance.now();
        for (let i = 0; i < per; i++) backend.gemm(s.transA, s.transB, s.m, s.n, s.k, a, b, c, false);
        values.push((flops * per) / ((performance.now() - t) / 1000) / 1e9);
      }
      rows.push({ backend: label, shape: s.label, ...summarize(values) });
    }
  }
  return rows;
}
