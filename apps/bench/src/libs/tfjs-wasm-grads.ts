import type { KernelBackend, KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from "@tensorflow/tfjs-core";

/*
 * TensorFlow.js 4.22's WASM backend has the forward kernels of a CNN but not every gradient
 * kernel: `Conv2DBackpropFilter` is missing, so training a Conv2D on "wasm" in Node fails with
 * "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'". W4 registers a stand-in so
 * tfjs-wasm can train at all, and says which one in the bench's output (it flatters or hurts
 * tfjs-wasm, so the ratio depends on it).
 */

type Tf = typeof import("@tensorflow/tfjs-core");

/** How a missing gradient kernel is supplied: see {@link registerWasmGradients}. */
export type WasmGradientVia = "wasm-conv3d" | "cpu-copy";

/** A kernel this file registered for the WASM backend, and how it runs. */
export interface WasmGradientShim {
  readonly kernel: string;
  readonly via: WasmGradientVia;
}

// The gradient kernels a Conv2D + MaxPooling2D + Dense network needs besides the forward ones.
const NEEDED = ["Conv2DBackpropFilter", "Conv2DBackpropInput", "MaxPoolGrad"] as const;

// What registerWasmGradients has registered so far (kernels are global, like tfjs' own registry).
const shims: WasmGradientShim[] = [];

function registered(tf: Tf, kernel: string, backend: string): KernelConfig | undefined {
  // getKernel returns undefined for an unknown pair (its type says otherwise).
  return tf.getKernel(kernel, backend) as KernelConfig | undefined;
}

/**
 * Runs the CPU backend's kernel on copies: every input is read out of the WASM heap, written to
 * the CPU backend, the kernel runs there (plain JavaScript loops), and its output is copied back
 * into the WASM heap. Works for any single-output kernel.
 */
function cpuCopy(tf: Tf, kernel: string): KernelFunc {
  const cpuKernel = registered(tf, kernel, "cpu");
  if (!cpuKernel) throw new Error(`tfjs: no CPU kernel ${kernel} to stand in for the WASM one`);
  return ({ inputs, attrs, backend }) => {
    const wasm = backend as KernelBackend;
    const cpu = tf.findBackend("cpu") as KernelBackend;
    const moved: NamedTensorInfoMap = {};
    for (const [name, t] of Object.entries(inputs)) {
      if (!t) continue;
      moved[name] = { dataId: cpu.write(wasm.readSync(t.dataId), t.shape, t.dtype), shape: t.shape, dtype: t.dtype };
    }
    const out = cpuKernel.kernelFunc({ inputs: moved, backend: cpu, ...(attrs ? { attrs } : {}) }) as TensorInfo;
    const values = cpu.readSync(out.dataId);
    for (const t of Object.values(moved)) if (t) cpu.disposeData(t.dataId);
    cpu.disposeData(out.dataId);
    return { dataId: wasm.write(values, out.shape, out.dtype), shape: out.shape, dtype: out.dtype };
  };
}

/**
 * `Conv2DBackpropFilter` as the WASM backend's own `Conv3DBackpropFilterV2` on a depth-1 view:
 * a 2-D convolution is a 3-D one whose input and kernel have depth 1, so x `[n, h, w, c]` is read
 * as `[n, 1, h, w, c]`, dy likewise, and the kernel gradient `[1, kh, kw, c, f]` is returned as
 * `[kh, kw, c, f]` — same buffers, no copy, compiled code. Falls back to {@link cpuCopy} for what
 * the 3-D kernel cannot express (NCHW, explicit or numeric padding, a rounding mode) or gets
 * wrong (strides > 1; W4's convolutions have stride 1).
 */
function viaConv3d(tf: Tf): KernelFunc {
  const conv3d = registered(tf, "Conv3DBackpropFilterV2", "wasm");
  const fallback = cpuCopy(tf, "Conv2DBackpropFilter");
  if (!conv3d) return fallback;
  return (args) => {
    const attrs = (args.attrs ?? {}) as NamedAttrMap & {
      strides: number | [number, number];
      pad: unknown;
      dataFormat?: string;
      dimRoundingMode?: string;
      filterShape: [number, number, number, number];
    };
    const { x, dy } = args.inputs as { x: TensorInfo; dy: TensorInfo };
    const [sh, sw] = typeof attrs.strides === "number" ? [attrs.strides, attrs.strides] : attrs.strides;
    // NOTE: tfjs-wasm 4.22's Conv3DBackpropFilterV2 is wrong for strides > 1 (tfjs-cpu and a
    // direct sum agree with each other, not with it), so strided convolutions take the CPU kernel.
    if ((attrs.pad !== "valid" && attrs.pad !== "same") || attrs.dataFormat === "NCHW" || attrs.dimRoundingMode != null || sh !== 1 || sw !== 1) {
      return fallback(args);
    }
    const depth1 = (t: TensorInfo): TensorInfo => ({ dataId: t.dataId, shape: [t.shape[0] as number, 1, ...t.shape.slice(1)], dtype: t.dtype });
    const dw = conv3d.kernelFunc({
      inputs: { x: depth1(x), dy: depth1(dy) },
      backend: args.backend,
      attrs: { strides: [1, 1, 1], pad: attrs.pad, filterShape: [1, ...attrs.filterShape] },
    }) as TensorInfo;
    return { dataId: dw.dataId, shape: [...attrs.filterShape], dtype: dw.dtype };
  };
}

/**
 * Registers, for the "wasm" backend, each gradient kernel a CNN needs that TensorFlow.js does not
 * register itself; idempotent, and a no-op for kernels a later version ships. `via` picks the
 * stand-in for `Conv2DBackpropFilter` ("wasm-conv3d": the WASM 3-D kernel, see {@link viaConv3d};
 * "cpu-copy": the CPU kernel on copied data); any other missing kernel uses the CPU kernel.
 * Returns what this call and earlier ones registered.
 */
export function registerWasmGradients(tf: Tf, via: WasmGradientVia = "wasm-conv3d"): readonly WasmGradientShim[] {
  for (const kernel of NEEDED) {
    if (registered(tf, kernel, "wasm")) continue;
    const useConv3d = kernel === "Conv2DBackpropFilter" && via === "wasm-conv3d";
    tf.registerKernel({ kernelName: kernel, backendName: "wasm", kernelFunc: useConv3d ? viaConv3d(tf) : cpuCopy(tf, kernel) });
    shims.push({ kernel, via: useConv3d ? "wasm-conv3d" : "cpu-copy" });
  }
  return shims;
}

/** Unregisters the stand-ins (for tests that compare the two ways). */
export function unregisterWasmGradients(tf: Tf): void {
  for (const s of shims) tf.unregisterKernel(s.kernel, "wasm");
  shims.length = 0;
}
