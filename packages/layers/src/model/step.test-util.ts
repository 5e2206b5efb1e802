import { Matrix, Rng, type DType } from "@backprop/linalg";
import type { Sequential } from "./sequential.js";

// Shared by the step-strategy tests (small-net, dense-stack, dense-epochs), which compare a fast
// path with the layer-by-layer step bit for bit.

/** The shape of a random data set: `samples` rows of `inputs` features and `outputs` targets. */
export interface DataSpec {
  readonly dtype: DType;
  readonly samples: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly seed: number;
}

/** Features uniform in [−2, 2) and targets in [0.05, 0.95) (which suit every loss, cross-entropy included). */
export function randomData(spec: DataSpec): { x: Matrix; y: Matrix } {
  const rng = new Rng(spec.seed + 1);
  const x = new Matrix(spec.samples, spec.inputs, spec.dtype);
  rng.fillUniform(x, -2, 2);
  const y = new Matrix(spec.samples, spec.outputs, spec.dtype);
  rng.fillUniform(y, 0.05, 0.95);
  return { x, y };
}

/** The bytes of every parameter's values (and gradients, with `withGrads`), for exact comparison. */
export function paramBits(model: Sequential, withGrads = false): Uint8Array[] {
  return model
    .params()
    .flatMap((p) => (withGrads ? [p.value.data, p.grad.data] : [p.value.data]))
    .map((d) => new Uint8Array(d.slice().buffer));
}
