import type { ConvGeometry } from "@backprop/linalg";

/**
 * Where a value's features (channels) are. Ours are last (`[batch, …, features]`: NHWC for
 * images, as `predict` takes them); ONNX's Conv, pooling and BatchNormalization want them on
 * axis 1 (NCHW). Exported graphs take and give channels-last values, with Transpose nodes in
 * between only where a layer needs the other layout; the importer follows the same Transposes.
 */
export type Layout = "channelsLast" | "channelsFirst";

/**
 * The `perm` of the Transpose that gives `layout` from the other one, for values of `sampleRank`
 * axes per sample (after the batch axis): NHWC → NCHW is `[0, 3, 1, 2]`, back `[0, 2, 3, 1]`.
 */
export function transposeTo(layout: Layout, sampleRank: number): number[] {
  const middle = Array.from({ length: sampleRank - 1 }, (_, i) => i + 1);
  return layout === "channelsFirst" ? [0, sampleRank, ...middle] : [0, ...middle.map((a) => a + 1), 1];
}

/**
 * ONNX `pads` `[top, left, bottom, right]` giving exactly our window positions. The padding before
 * is ours; the padding after is what the last window overhangs the input, never negative — so
 * ONNX's `⌊(in + top + bottom − span)/stride⌋ + 1` is our output size, and a `"valid"` input's
 * unused last rows stay unused. Explicit numbers instead of `auto_pad = SAME_UPPER`, whose rule
 * differs from TensorFlow's in corner cases (dilation, odd totals), and which reads the same to
 * every runtime.
 */
export function explicitPads(g: ConvGeometry): number[] {
  const after = (input: number, out: number, stride: number, kernel: number, dilation: number, before: number) =>
    Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - input - before);
  return [
    g.padTop,
    g.padLeft,
    after(g.inHeight, g.outHeight, g.strideHeight, g.kernelHeight, g.dilationHeight, g.padTop),
    after(g.inWidth, g.outWidth, g.strideWidth, g.kernelWidth, g.dilationWidth, g.padLeft),
  ];
}

/** `[kh, kw, in, out]` (ours, Keras') → `[out, in, kh, kw]` (ONNX's Conv weight). */
export function kernelToOihw(data: ArrayLike<number>, kh: number, kw: number, cin: number, cout: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      for (let c = 0; c < cin; c++) {
        const src = ((i * kw + j) * cin + c) * cout;
        for (let o = 0; o < cout; o++) out[((o * cin + c) * kh + i) * kw + j] = data[src + o] as number;
      }
    }
  }
  return out;
}

/** `[out, in, kh, kw]` (ONNX) → `[kh, kw, in, out]` (ours): the inverse of {@link kernelToOihw}. */
export function kernelFromOihw(data: ArrayLike<number>, kh: number, kw: number, cin: number, cout: number): Float64Array {
  const out = new Float64Array(data.length);
  for (let o = 0; o < cout; o++) {
    for (let c = 0; c < cin; c++) {
      for (let i = 0; i < kh; i++) {
        for (let j = 0; j < kw; j++) out[((i * kw + j) * cin + c) * cout + o] = data[((o * cin + c) * kh + i) * kw + j] as number;
      }
    }
  }
  return out;
}
