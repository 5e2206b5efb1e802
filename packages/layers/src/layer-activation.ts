import { resolveActivation, type Activation, type ActivationSpec } from "@backprop/activations";
import { BackpropError, type Json, type JsonObject, type Matrix } from "@backprop/linalg";

/**
 * Resolves a layer's `activation` option (default identity), naming the option in errors. Softmax
 * is an activation like any other (a vector one), so nothing here special-cases it.
 */
export function resolveLayerActivation(where: string, spec: ActivationSpec | undefined | null): Activation {
  try {
    return resolveActivation(spec ?? "identity");
  } catch (error) {
    if (error instanceof BackpropError) {
      throw new BackpropError(error.code, `${where}: ${error.message.split("\nhelp: ")[0] ?? ""}`, {
        cause: error,
        ...(error.hint ? { hint: error.hint } : {}),
      });
    }
    throw error;
  }
}

/** The `{ name, config }` form stored in model files. */
export function layerActivationConfig(a: Activation): JsonObject {
  return { name: a.name, config: a.config as { readonly [key: string]: Json } };
}

/** Forward pass of an activation over the last axis of `z` (its matrix view): `y = act(z)`. */
export function activationForward(a: Activation, z: Matrix, y: Matrix): Matrix {
  a.apply(z.data, y.data, z.cols);
  return y;
}

/** Backward pass through an activation: `dz = dLoss/dz` from `dy = dLoss/dy`. */
export function activationBackward(a: Activation, z: Matrix, y: Matrix, dy: Matrix, dz: Matrix): Matrix {
  a.backward(z.data, y.data, dy.data, dz.data, y.cols);
  return dz;
}

/** True for the identity activation, whose forward and backward are no-ops. */
export function isIdentity(a: Activation): boolean {
  return a.name === "identity";
}
