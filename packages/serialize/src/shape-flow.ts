import { formatShape, sizeOf, type Shape } from "@backprop/linalg";
import type { Layer } from "@backprop/layers";
import { at, invalidFile, type FileLocation } from "./file-error.js";
import { MAX_RANK, MAX_TENSOR_ELEMENTS } from "./schema.js";

/** One parameter a model will have, known before anything is allocated. */
export interface ExpectedParam {
  /** Index of the layer in the model. */
  readonly layer: number;
  /** The parameter's name within its layer, e.g. `"kernel"`. */
  readonly local: string;
  /** The parameter's full name, `layers.<i>.<local>`, as `Sequential` names it. */
  readonly name: string;
  /** Its shape. */
  readonly shape: Shape;
}

/** What {@link expectedParams} finds: every parameter in model order, and the shapes between layers. */
export interface ShapeFlow {
  readonly params: readonly ExpectedParam[];
  /** The per-sample input shape of each layer, then the model's output shape (length = layers + 1). */
  readonly shapes: readonly Shape[];
}

function checkShape(loc: FileLocation, path: string, what: string, shape: unknown): Shape {
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw invalidFile(loc, path, `${what} is not a shape (got ${JSON.stringify(shape)?.slice(0, 80)}, expected at most ${MAX_RANK} non-negative integers)`);
  }
  return shape as Shape;
}

/**
 * Refuses a model whose samples would be too large between two layers (nothing is allocated
 * before a batch arrives, but `predict` would then ask for it). Call it after comparing the
 * parameters, so a wrong parameter shape is reported as such first.
 * @throws BackpropError `INVALID_FILE` naming the layer
 */
export function checkSampleSizes(flow: ShapeFlow, loc: FileLocation, layerPath: (i: number) => string): void {
  flow.shapes.forEach((shape, k) => {
    if (sizeOf(shape) > MAX_TENSOR_ELEMENTS) {
      const what = k === 0 ? "the input shape" : `the output shape of layer ${k - 1}`;
      throw invalidFile(loc, layerPath(Math.max(0, k - 1)), `${what} ${formatShape(shape)} is too large (got ${sizeOf(shape)} numbers per sample, expected at most ${MAX_TENSOR_ELEMENTS})`);
    }
  });
}

/**
 * Walks the shape handshake without building anything: from `inputShape`, each layer reports its
 * parameters (`paramShapes`) and its output shape (`computeOutputShape`) for the shape the layer
 * before it gives. Loaders compare a file's weights with the result before a single weight is
 * allocated — the file's weights are bounded by its size, so a hostile `units: 1e9` never reaches
 * `new Float32Array` — and then call {@link checkSampleSizes}. A new layer type is checked
 * through its own `paramShapes`, with no list of known classes here.
 *
 * @param layerPath - where layer `i` sits in the file, for messages (`"model.layers[2]"`)
 * @param onLayer - called with each layer's parameters as soon as they are known, before the
 *   next layer is asked: a wrong width is then reported at the layer that has it, not at the
 *   next one, whose own config may disagree with it
 * @throws BackpropError `INVALID_FILE` naming the layer whose shapes cannot be worked out
 */
export function expectedParams(
  layers: readonly Layer[],
  inputShape: Shape,
  loc: FileLocation,
  layerPath: (i: number) => string,
  onLayer?: (params: readonly ExpectedParam[], input: Shape) => void,
): ShapeFlow {
  const params: ExpectedParam[] = [];
  const shapes: Shape[] = [checkShape(loc, layerPath(0), "the input shape", inputShape)];
  let shape = inputShape;
  layers.forEach((layer, i) => {
    const path = layerPath(i);
    const specs: unknown = at(loc, path, () => layer.paramShapes(shape));
    if (!Array.isArray(specs)) throw invalidFile(loc, path, `layer ${i} ("${layer.name}", ${layer.className}): paramShapes did not return a list`);
    const own: ExpectedParam[] = [];
    for (const spec of specs as unknown[]) {
      const local = (spec as { name?: unknown } | null)?.name;
      if (typeof local !== "string" || local === "") {
        throw invalidFile(loc, path, `layer ${i} ("${layer.name}", ${layer.className}): paramShapes gave a parameter without a name`);
      }
      const pshape = checkShape(loc, path, `the shape of parameter "${local}"`, (spec as { shape?: unknown }).shape);
      own.push({ layer: i, local, name: `layers.${i}.${local}`, shape: pshape.slice() });
    }
    onLayer?.(own, shape);
    params.push(...own);
    shape = checkShape(loc, path, `the output shape of layer ${i}`, at(loc, path, () => layer.computeOutputShape(shape))).slice();
    shapes.push(shape);
  });
  return { params, shapes };
}
