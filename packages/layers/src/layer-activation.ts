import { resolveActivation, type Activation, type ActivationSpec } from "@backprop/activations";
import { BackpropError, type Json, type JsonObject, type Matrix } from "@backprop/linalg";
import { softmax } from "./losses/index.js";


/** A resolved activation of a layer: elementwise, or the row-wise softmax. */
export type LayerActivation =
  | {
      /** Applied to each element on its own. */
      readonly kind: "elementwise";
      /** The function and its derivative. */
      readonly activation: Activation;
    }
  | {
      /** The row-wise softmax. */
      readonly kind: "softmax";
    };

/** Resolves an {@link ActivationSpec}; unknown names throw the registry's error. */
export function resolveLayerActivation(where: string, spec: ActivationSpec | undefined): LayerActivation {
  if (spec === undefined || spec === null) return { kind: "elementwise", activation: resolveActivation("identity") };
  if (spec === "softmax" || (typeof spec === "object" && spec.name === "softmax" && !("f" in spec))) {
    return { kind: "softmax" };
  }
  try {
    return { kind: "elementwise", activation: resolveActivation(spec) };
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
export function layerActivationConfig(a: LayerActivation): JsonObject {
  return a.kind === "softmax"
    ? { name: "softmax", config: {} }
    : { name: a.activation.name, config: a.activation.config as { readonly [key: string]: Json } };
}

/** Forward pass of a layer activation: `y = act(z)`; returns `y` (which is `z` for identity). */
export function activationForward(a: LayerActivation, z: Matrix, y: Matrix): Matrix {
  if (a.kind === "softmax") return softmax(z, y);
  a.activation.apply(z.data, y.data);
  return y;
}

/**
 * Backward pass through a layer activation: `dz = dLoss/dz` from `dy = dLoss/dy`.
 * For softmax this is the Jacobian-vector product `dzᵢ = yᵢ(dyᵢ − Σⱼ dyⱼyⱼ)`.
 */
export function activationBackward(a: LayerActivation, z: Matrix, y: Matrix, dy: Matrix, dz: Matrix): Matrix {
  if (a.kind === "elementwise") {
    a.activation.backward(z.data, y.data, dy.data, dz.data);
    return dz;
  }
  const cols = y.cols;
  const yd = y.data;
  const dyd = dy.data;
  const dzd = dz.data;
  for (let i = 0; i < y.rows; i++) {
    const base = i * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += (dyd[base + j] as number) * (yd[base + j] as number);
    for (let j = 0; j < cols; j++) dzd[base + j] = (yd[base + j] as number) * ((dyd[base + j] as number) - dot);
  }
  return dz;
}

/** True for the identity activation, whose forward and backward are no-ops. */
export function isIdentity(a: LayerActivation): boolean {
  return a.kind === "elementwise" && a.activation.name === "identity";
}
