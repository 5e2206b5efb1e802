import type { Conv2D } from "@backprop/layers";
import { Rng, Tensor, setBackend, type KernelBackend } from "@backprop/linalg";
import { cnn } from "./libs/backprop.js";
import { summarize, type Summary } from "./stats.js";

/** The three passes of a convolution: y from x, dL/dx from dL/dy, dL/dkernel from dL/dy. */
export type ConvPass = "forward" | "input gradient" | "filter gradient";

/** One backend × layer × pass result in GFLOP/s. */
export interface ConvPassRow extends Summary {
  readonly backend: string;
  readonly layer: string;
  readonly pass: ConvPass;
}

/** The formula the GFLOP/s figures rest on, printed with them. */
export const CONV_FLOPS =
  "FLOP per pass = 2·N·OH·OW·KH·KW·C·F (the one matrix product each pass is: forward P·W, input gradient δ·Wᵀ, " +
  "filter gradient Pᵀ·δ); im2col/col2im, bias and ReLU′ are inside the timed call but not counted";

const PASSES: readonly ConvPass[] = ["forward", "input gradient", "filter gradient"];

interface ConvCase {
  readonly label: string;
  readonly layer: Conv2D;
  readonly x: Tensor;
  readonly dy: Tensor;
  readonly flops: number;
}

/**
 * W4's two convolutions, built by the model (so their weights and buffers are what training
 * uses), with seeded random inputs and output gradients at batch `batch`.
 */
function convCases(batch: number): ConvCase[] {
  const model = cnn().build();
  const rng = new Rng(5);
  const out: ConvCase[] = [];
  let shape = model.inputShape as readonly number[];
  for (const layer of model.layers) {
    const next = layer.computeOutputShape(shape);
    if (layer.className === "conv2d") {
      const conv = layer as Conv2D;
      const [oh, ow, f] = next as [number, number, number];
      const [kh, kw] = conv.kernelSize;
      const c = shape[2] as number;
      out.push({
        label: `conv${out.length + 1} ${kh}×${kw}×${c}→${f} ${shape[0]}×${shape[1]}→${oh}×${ow}`,
        layer: conv,
        x: rng.fillUniform(new Tensor([batch, ...shape], "float32"), 0, 1),
        dy: rng.fillUniform(new Tensor([batch, ...next], "float32"), -0.01, 0.01),
        flops: 2 * batch * oh * ow * kh * kw * c * f,
      });
    }
    shape = next;
  }
  return out;
}

/**
 * One pass, through the layer's own API: `forward`; the input gradient as `backward` with the
 * parameters frozen (so only δ·Wᵀ and col2im run); the filter gradient as `backward` with
 * `inputGradient: false` (so only Pᵀ·δ and the bias sums run). Both backward calls include ReLU′.
 */
function passOf(c: ConvCase, pass: ConvPass): () => void {
  const params = c.layer.params();
  if (pass === "forward") return () => void c.layer.forward(c.x, { training: true });
  if (pass === "input gradient") {
    return () => {
      for (const p of params) p.trainable = false;
      c.layer.backward(c.dy);
      for (const p of params) p.trainable = true;
    };
  }
  return () => void c.layer.backward(c.dy, { inputGradient: false });
}

/**
 * GFLOP/s of each pass of W4's convolutions at batch `batch`, per kernel backend: a warm-up of
 * ~`targetMs`/2 sizes the number of calls per repetition to ~`targetMs`, then `reps` repetitions.
 */
export function convPassBench(
  backends: readonly { label: string; backend: KernelBackend }[],
  reps: number,
  targetMs: number,
  batch = 32,
): ConvPassRow[] {
  const rows: ConvPassRow[] = [];
  for (const { label, backend } of backends) {
    const previous = setBackend(backend);
    try {
      for (const c of convCases(batch)) {
        // The backward passes read what forward cached, so forward runs once before them.
        c.layer.forward(c.x, { training: true });
        for (const pass of PASSES) {
          const call = passOf(c, pass);
          const t0 = performance.now();
          let calls = 0;
          while (performance.now() - t0 < targetMs / 2 || calls < 2) {
            call();
            calls++;
          }
          const per = Math.max(1, Math.round((calls * targetMs) / (performance.now() - t0)));
          const values: number[] = [];
          for (let r = 0; r < reps; r++) {
            const t = performance.now();
            for (let i = 0; i < per; i++) call();
            values.push((c.flops * per) / ((performance.now() - t) / 1000) / 1e9);
          }
          for (const p of c.layer.params()) p.grad.data.fill(0);
          rows.push({ backend: label, layer: c.label, pass, ...summarize(values) });
        }
      }
    } finally {
      setBackend(previous);
    }
  }
  return rows;
}
