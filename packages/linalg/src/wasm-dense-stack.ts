import type { FloatArray } from "./dtype.js";
import type { DenseStack, DenseStackPlan, ParameterUpdate } from "./kernel-backend.js";
import { alignLine, type GemmExport, type WasmMemory } from "./wasm-backend.js";

/*
 * The fused passes of a stack of dense layers (KernelBackend.denseStack) on the wasm backend.
 *
 * The layer-by-layer step crosses into WASM for every product, bias add, ReLU and bias sum, and
 * copies every operand in and every result out: the input batch twice (forward product, weight
 * gradient), each activation out and back in. Here each pass is one JavaScript call that copies
 * the batch and the parameters in once, runs every layer's kernels on data that stays in the
 * module's memory, and copies out only the output (forward) or the gradients (backward).
 *
 * The kernels are the backend's own (gemm, addRowVector, sumColumns, relu, reluBackward) with the
 * arguments the layer-by-layer path gives them, so the bits are the same; a plan is declined when
 * some product would not run in WASM there (below the backend's minWork, the TypeScript backend
 * computes it, with other float32 bits).
 *
 * Each stack has its own module instance and memory: nothing the other kernels do between the
 * forward and the backward pass (a loss that calls matmul, say) can overwrite the activations
 * kept for the backward pass. The memory is sized once for the plan, and grows once more only
 * when an optimizer with slots (momentum, Adam) first hands its updates over.
 *
 * The update runs the optimizer kernels of the backend (assembly/optimizers.ts) on the parameters
 * and gradients already in the memory. Slots (float64) are copied in at the first update and then
 * stay in the memory: the stack holds them for the optimizer (SlotHolder) and writes them back
 * only when the optimizer asks (release), which it does before it reads or writes them any other
 * way. Copying Adam's two moments in and out every step would cost about as much as the update
 * itself (float64 slots are four times the bytes of the float32 parameters). On a memory shared
 * with other kernels (threads) nothing is held: the slots are copied back after each update.
 */

/** The module instance a dense stack runs on and the memory its kernels address (internal). */
export interface DenseStackInstance {
  readonly exports: Record<string, unknown>;
  readonly memory: WasmMemory;
  /** Makes the memory at least `bytes` long. */
  reserve(bytes: number): void;
}

/** What a dense stack needs of the backend that makes it (internal). */
export interface DenseStackKit {
  /** The instance for a new stack: a fresh one with its own memory, or (threads) the backend's shared one. */
  instantiate(): DenseStackInstance;
  /** Products with fewer multiply-adds run outside WASM on the backend: the plan is declined. */
  readonly minWork: number;
  /** First byte the kernels may use (below it: the module's reserved first page). */
  readonly heapBase: number;
  /** Scratch bytes the products need for inner dimension k (every thread's panel, with threads). */
  panelBytes(k: number): number;
  /**
   * Runs a product at byte offsets with the scratch at `panel` — split across threads where the
   * backend would split it, with the bits of one thread. Default: the instance's gemm, here.
   */
  gemm?(isF32: boolean, transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, b: number, c: number, accumulate: boolean, panel: number): void;
  /** Plain SGD over n elements at byte offsets (split across threads where it pays). Default: the instance's sgd, here. */
  sgd?(isF32: boolean, value: number, grad: number, n: number, lr: number, weightDecay: number): void;
  /**
   * A count that changes whenever something else may have written the memory (a shared one):
   * the stack then redoes its forward pass before the backward one, leaves the update to the
   * optimizer and reads the parameters again. Absent: the memory is the stack's alone.
   */
  generation?(): number;
  /** Called before a stack's pass writes a shared memory: moves the generation on for the others. */
  written?(): void;
}

type RowsExport = (rows: number, cols: number, a: number, v: number, out: number) => void;
type SumExport = (rows: number, cols: number, a: number, out: number, accumulate: number) => void;
type ReluExport = (src: number, dst: number, n: number) => void;
type ReluBackwardExport = (x: number, grad: number, dst: number, n: number) => void;
type NonFiniteExport = (src: number, n: number) => number;
type SgdExport = (value: number, grad: number, n: number, lr: number, wd: number) => void;
type MomentumExport = (value: number, grad: number, buffer: number, n: number, lr: number, mu: number, wd: number, nesterov: number) => void;
type AdamExport = (value: number, grad: number, m: number, v: number, vmax: number, n: number, hp: number) => void;

/** The float64 slots per element of an update's rule: momentum's buffer; Adam's m, v and, with AMSGrad, v̄. */
function slotCount(update: ParameterUpdate | undefined): number {
  if (update === undefined || update.rule === "sgd") return 0;
  return update.rule === "momentum" ? 1 : update.moments.maxExpAvgSq ? 3 : 2;
}

interface LayerRegions {
  readonly inputs: number;
  readonly units: number;
  readonly bias: boolean;
  readonly relu: boolean;
  /** Byte offsets: kernel, bias, pre-activation, activation (= z without ReLU), δ, kernel and bias gradients, input gradient. */
  readonly w: number;
  readonly b: number;
  readonly z: number;
  readonly y: number;
  readonly dz: number;
  readonly dw: number;
  readonly db: number;
  readonly dx: number;
}

/** The {@link DenseStack} of `plan` on a fresh instance, or undefined when the plan is declined (internal). */
export function createDenseStack(kit: DenseStackKit, plan: DenseStackPlan): DenseStack | undefined {
  const { batch, layers } = plan;
  if (!(Number.isInteger(batch) && batch > 0) || layers.length === 0) return undefined;
  for (let l = 0; l < layers.length; l++) {
    const layer = layers[l] as DenseStackPlan["layers"][number];
    if (!(Number.isInteger(layer.inputs) && layer.inputs > 0 && Number.isInteger(layer.units) && layer.units > 0)) return undefined;
    if (l > 0 && layer.inputs !== (layers[l - 1] as DenseStackPlan["layers"][number]).units) return undefined;
    if (layer.activation === "external" && l !== layers.length - 1) return undefined;
    // Every product of the step (forward, weight gradient, input gradient) is batch·units·inputs.
    if (batch * layer.units * layer.inputs < kit.minWork) return undefined;
  }
  const isF32 = plan.dtype === "float32";
  const size = isF32 ? 4 : 8;
  const shift = isF32 ? 2 : 3;

  // Layout: the gemm panel, the input batch, then each layer's regions, each on a cache line
  // (alignLine).
  let next = alignLine(kit.heapBase);
  const take = (elements: number): number => {
    const at = next;
    next = alignLine(next + elements * size);
    return at;
  };
  let widestK = batch;
  for (const layer of layers) widestK = Math.max(widestK, layer.inputs, layer.units);
  const panel = next;
  next = alignLine(next + kit.panelBytes(widestK));
  const xAt = take(batch * (layers[0] as DenseStackPlan["layers"][number]).inputs);
  // Adam's six scalars (float64) for its kernel.
  const hpAt = next;
  next = alignLine(next + 6 * 8);
  const regions: LayerRegions[] = layers.map((layer, l) => {
    const relu = layer.activation === "relu";
    const w = take(layer.inputs * layer.units);
    const b = take(layer.units);
    const z = take(batch * layer.units);
    const y = relu ? take(batch * layer.units) : z;
    const dz = take(batch * layer.units);
    const dw = take(layer.inputs * layer.units);
    const db = take(layer.units);
    const dx = l > 0 ? take(batch * layer.inputs) : 0;
    return { inputs: layer.inputs, units: layer.units, bias: layer.bias, relu, w, b, z, y, dz, dw, db, dx };
  });
  const end = next;

  const instance = kit.instantiate();
  const e = instance.exports;
  instance.reserve(end);
  // Views of the memory: made again when the slots grow it (a private memory's buffer is replaced
  // when it grows; a shared one's old views keep their length).
  let view: FloatArray = isF32 ? new Float32Array(instance.memory.buffer) : new Float64Array(instance.memory.buffer);
  let doubles = new Float64Array(instance.memory.buffer);
  const suffix = isF32 ? "F32" : "F64";
  const gemmExport = e[`gemm${suffix}`] as GemmExport;
  const gemm =
    kit.gemm ??
    ((_: boolean, transA: boolean, transB: boolean, m: number, n: number, k: number, a: number, b: number, c: number, accumulate: boolean, p: number) =>
      gemmExport(+transA, +transB, m, n, k, a, b, c, +accumulate, p, 0, m, 0, n));
  const addRowVector = e[`addRowVector${suffix}`] as RowsExport;
  const sumColumns = e[`sumColumns${suffix}`] as SumExport;
  const relu = e[`relu${suffix}`] as ReluExport;
  const reluBackward = e[`reluBackward${suffix}`] as ReluBackwardExport;
  const nonFinite = e[`nonFinite${suffix}`] as NonFiniteExport;
  const sgdExport = e[`sgd${suffix}`] as SgdExport;
  const sgd = kit.sgd ?? ((_: boolean, value: number, grad: number, n: number, lr: number, wd: number) => sgdExport(value, grad, n, lr, wd));
  const momentumF32 = e["momentumF32"] as MomentumExport;
  const adamF32 = e["adamF32"] as AdamExport;
  // Slots: `slots` regions of float64 per parameter (kernel 2l, bias 2l + 1), made at the first
  // update that needs them (again, larger, for a rule with more slots). held[…] is the array
  // whose values a region holds (and the array does not), undefined when it holds nothing.
  const holdSlots = kit.generation === undefined;
  let slots = 0;
  let slotAt: number[] = [];
  let slotsEnd = end;
  const held: (Float64Array | undefined)[] = [];
  let holding = false;
  // The last forward pass's arguments: to redo it when a shared memory was written since, and to
  // know which arrays the parameters the memory holds came from.
  let lastX: FloatArray | undefined;
  let lastKernels: readonly FloatArray[] = [];
  let lastBiases: readonly (FloatArray | undefined)[] = [];
  // The shared memory's generation right after this stack's last pass (see claim), whether the
  // last pass was a backward one (the update needs its gradients), and whether the memory holds
  // the parameters the caller's arrays hold (read by a forward pass, written by an update).
  let ownGeneration = -1;
  let backwardDone = false;
  let parametersHeld = false;
  // Which gradients the last backward pass computed (per layer: kernel, bias).
  const computedKernel = regions.map(() => false);
  const computedBias = regions.map(() => false);

  const last = regions[regions.length - 1] as LayerRegions;
  const external = (layers[layers.length - 1] as DenseStackPlan["layers"][number]).activation === "external";
  const outputElements = batch * last.units;

  /** Copies `src` into the module's memory at byte offset `at` (its first `n` elements). */
  function put(src: FloatArray, at: number, n: number): void {
    view.set(n === src.length ? src : src.subarray(0, n), at >> shift);
  }

  /** Copies `n` elements at byte offset `at` out to `dst`. */
  function get(at: number, n: number, dst: FloatArray): void {
    dst.set(view.subarray(at >> shift, (at >> shift) + n));
  }

  const stack: DenseStack = {
    forward(x, kernels, biases, out, reuseParameters = false) {
      const intact = claim();
      const reuse = reuseParameters && intact && parametersHeld && sameArrays(kernels, lastKernels) && sameArrays(biases, lastBiases);
      runForward(x, kernels, biases, reuse);
      backwardDone = false;
      get(external ? last.z : last.y, outputElements, out);
    },
    backward(outputGradient, isDelta, kernelGrads, biasGrads) {
      // A shared memory written since the forward pass: redo it (same inputs, same bits).
      if (!claim() && lastX) runForward(lastX, lastKernels, lastBiases, false);
      const bad = runBackward(outputGradient, isDelta, kernelGrads, biasGrads);
      backwardDone = true;
      return bad;
    },
    update(kernelUpdates, biasUpdates, kernels, biases) {
      // The parameters are still those the forward pass copied in, the gradients those the
      // backward pass wrote out: the update needs no copy in, only the new values out — unless a
      // shared memory was written since, or some update is not one this stack runs, when the
      // optimizer steps instead.
      if (!claim() || !backwardDone || !runsAll(kernelUpdates, biasUpdates)) {
        // What the memory holds is unknown now: the next forward pass reads the parameters.
        parametersHeld = false;
        return false;
      }
      let needed = 0;
      for (let l = 0; l < regions.length; l++) {
        if (computedKernel[l]) needed = Math.max(needed, slotCount(kernelUpdates[l]));
        if (computedBias[l]) needed = Math.max(needed, slotCount(biasUpdates[l]));
      }
      if (needed > slots) makeSlots(needed);
      for (let l = 0; l < regions.length; l++) {
        const r = regions[l] as LayerRegions;
        if (computedKernel[l]) {
          const n = r.inputs * r.units;
          apply(kernelUpdates[l] as ParameterUpdate, 2 * l, r.w, r.dw, n);
          get(r.w, n, kernels[l] as FloatArray);
        }
        if (computedBias[l]) {
          apply(biasUpdates[l] as ParameterUpdate, 2 * l + 1, r.b, r.db, r.units);
          get(r.b, r.units, biases[l] as FloatArray);
        }
      }
      // The memory and the caller's arrays now hold the same new values.
      backwardDone = false;
      return true;
    },
    release() {
      if (!holding) return;
      for (let i = 0; i < held.length; i++) {
        const array = held[i];
        if (!array) continue;
        const at = (slotAt[i] as number) >> 3;
        array.set(doubles.subarray(at, at + array.length));
        held[i] = undefined;
      }
      holding = false;
    },
  };
  return stack;

  /** Whether every parameter the last backward pass computed a gradient for has an update this stack runs. */
  function runsAll(kernelUpdates: readonly (ParameterUpdate | undefined)[], biasUpdates: readonly (ParameterUpdate | undefined)[]): boolean {
    for (let l = 0; l < regions.length; l++) {
      const r = regions[l] as LayerRegions;
      if (computedKernel[l] && !runs(kernelUpdates[l], r.inputs * r.units)) return false;
      if (computedBias[l] && !runs(biasUpdates[l], r.units)) return false;
    }
    return true;
  }

  /** Whether this stack runs `update` on n elements: SGD in both element types, the others in float32 (as the backend's kernels). */
  function runs(update: ParameterUpdate | undefined, n: number): boolean {
    if (update === undefined) return false;
    switch (update.rule) {
      case "sgd":
        return true;
      case "momentum":
        return isF32 && update.buffer.length === n;
      case "adam": {
        const { expAvg, expAvgSq, maxExpAvgSq } = update.moments;
        return isF32 && expAvg.length === n && expAvgSq.length === n && (maxExpAvgSq === undefined || maxExpAvgSq.length === n);
      }
    }
  }

  /** Runs `update` on the parameter at `value` (n elements, gradient at `grad`); `slot` numbers its slot regions. */
  function apply(update: ParameterUpdate, slot: number, value: number, grad: number, n: number): void {
    switch (update.rule) {
      case "sgd":
        sgd(isF32, value, grad, n, update.lr, update.weightDecay);
        return;
      case "momentum": {
        const buffer = slotRegion(update.buffer, slot, 0, n);
        momentumF32(value, grad, buffer, n, update.lr, update.momentum, update.weightDecay, +update.nesterov);
        settle(update.buffer, slot, 0);
        return;
      }
      case "adam": {
        const { expAvg, expAvgSq, maxExpAvgSq } = update.moments;
        const step = update.step;
        const h = hpAt >> 3;
        doubles[h] = step.stepSize;
        doubles[h + 1] = step.sqrtCorrection2;
        doubles[h + 2] = step.beta1;
        doubles[h + 3] = step.beta2;
        doubles[h + 4] = step.eps;
        doubles[h + 5] = step.weightDecay;
        const m = slotRegion(expAvg, slot, 0, n);
        const v = slotRegion(expAvgSq, slot, 1, n);
        const vmax = maxExpAvgSq ? slotRegion(maxExpAvgSq, slot, 2, n) : 0;
        adamF32(value, grad, m, v, vmax, n, hpAt);
        settle(expAvg, slot, 0);
        settle(expAvgSq, slot, 1);
        if (maxExpAvgSq) settle(maxExpAvgSq, slot, 2);
        return;
      }
    }
  }

  /**
   * The byte offset of slot `k` of parameter `slot` with the values of `array` (n float64): copied
   * in unless the region already holds that array's values.
   */
  function slotRegion(array: Float64Array, slot: number, k: number, n: number): number {
    const i = slot * slots + k;
    const at = slotAt[i] as number;
    if (held[i] !== array) {
      // A region holding another array's values (the optimizer's state was replaced without a
      // release, or another optimizer) gives them back first.
      const other = held[i];
      if (other) other.set(doubles.subarray(at >> 3, (at >> 3) + other.length));
      doubles.set(n === array.length ? array : array.subarray(0, n), at >> 3);
      held[i] = array;
    }
    return at;
  }

  /** After an update: the region keeps the slot's new values (a memory of its own), or gives them back now. */
  function settle(array: Float64Array, slot: number, k: number): void {
    const i = slot * slots + k;
    if (holdSlots) {
      holding = true;
      return;
    }
    const at = (slotAt[i] as number) >> 3;
    array.set(doubles.subarray(at, at + array.length));
    held[i] = undefined;
  }

  /**
   * Places `count` slot regions per parameter after everything else and grows the memory for
   * them; what the old regions held goes back to its arrays first.
   */
  function makeSlots(count: number): void {
    stack.release();
    const offsets: number[] = [];
    let at = slotsEnd;
    for (const r of regions) {
      for (const n of [r.inputs * r.units, r.units]) {
        for (let k = 0; k < count; k++) {
          offsets.push(at);
          at = alignLine(at + n * 8);
        }
      }
    }
    instance.reserve(at);
    view = isF32 ? new Float32Array(instance.memory.buffer) : new Float64Array(instance.memory.buffer);
    doubles = new Float64Array(instance.memory.buffer);
    slotAt = offsets;
    slots = count;
    slotsEnd = at;
    held.length = 0;
  }

  /**
   * Before a pass: whether the memory is as this stack's last pass left it (always, for a memory
   * of its own); then marks the memory as written by this stack. On a memory shared with other
   * kernels and stacks, anything they do moves the generation on.
   */
  function claim(): boolean {
    if (!kit.generation) return true;
    const intact = kit.generation() === ownGeneration;
    kit.written?.();
    ownGeneration = kit.generation();
    return intact;
  }

  /** Whether two lists hold the same arrays (the parameters the stack copied are these). */
  function sameArrays(a: readonly (FloatArray | undefined)[], b: readonly (FloatArray | undefined)[]): boolean {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function runForward(x: FloatArray, kernels: readonly FloatArray[], biases: readonly (FloatArray | undefined)[], reuse: boolean): void {
    lastX = x;
    lastKernels = kernels;
    lastBiases = biases;
    put(x, xAt, batch * (regions[0] as LayerRegions).inputs);
    let input = xAt;
    for (let l = 0; l < regions.length; l++) {
      const r = regions[l] as LayerRegions;
      if (!reuse) put(kernels[l] as FloatArray, r.w, r.inputs * r.units);
      gemm(isF32, false, false, batch, r.units, r.inputs, input, r.w, r.z, false, panel);
      if (r.bias) {
        if (!reuse) put(biases[l] as FloatArray, r.b, r.units);
        addRowVector(batch, r.units, r.z, r.b, r.z);
      }
      if (r.relu) relu(r.z, r.y, batch * r.units);
      input = r.y;
    }
    parametersHeld = true;
  }

  function runBackward(
    outputGradient: FloatArray,
    isDelta: boolean,
    kernelGrads: readonly (FloatArray | undefined)[],
    biasGrads: readonly (FloatArray | undefined)[],
  ): number {
    // δ of the last layer: given, or through its ReLU (an identity layer's δ is its dL/dy).
    put(outputGradient, last.dz, outputElements);
    if (last.relu && !isDelta) reluBackward(last.z, last.dz, last.dz, outputElements);
    let bad = 0;
    for (let l = regions.length - 1; l >= 0; l--) {
      const r = regions[l] as LayerRegions;
      const input = l > 0 ? (regions[l - 1] as LayerRegions).y : xAt;
      const kernelGrad = kernelGrads[l];
      computedKernel[l] = kernelGrad !== undefined;
      if (kernelGrad) {
        // The layer zeroes the gradient and accumulates the product onto it; a product that
        // starts its sums from zero itself gives the same bits (+0 + x = x, also for x = −0 once
        // a sum starts at +0) without a pass over the gradient first.
        const n = r.inputs * r.units;
        gemm(isF32, true, false, r.inputs, r.units, batch, input, r.dz, r.dw, false, panel);
        bad |= nonFinite(r.dw, n);
        get(r.dw, n, kernelGrad);
      }
      const biasGrad = r.bias ? biasGrads[l] : undefined;
      computedBias[l] = biasGrad !== undefined;
      if (biasGrad) {
        view.fill(0, r.db >> shift, (r.db >> shift) + r.units);
        sumColumns(batch, r.units, r.dz, r.db, 1);
        bad |= nonFinite(r.db, r.units);
        get(r.db, r.units, biasGrad);
      }
      if (l === 0) break;
      // dL/dx = δ·Wᵀ, the previous layer's dL/dy; through its ReLU when it has one.
      const prev = regions[l - 1] as LayerRegions;
      gemm(isF32, false, true, batch, r.inputs, r.units, r.dz, r.w, r.dx, false, panel);
      if (prev.relu) reluBackward(prev.z, r.dx, prev.dz, batch * r.inputs);
      else view.copyWithin(prev.dz >> shift, r.dx >> shift, (r.dx >> shift) + batch * r.inputs);
    }
    return bad;
  }
}
