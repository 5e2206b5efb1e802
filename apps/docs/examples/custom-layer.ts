// #region example
import { Matrix, Param, Tensor, type JsonObject, type Shape } from "@backprop/linalg";
import {
  Dense,
  Sequential,
  gradientCheck,
  registerLayer,
  type BuildContext,
  type Layer,
  type LayerInspection,
  type ParamShape,
} from "@backprop/layers";
import { modelFromJSON, modelToJSON } from "@backprop/serialize";

/** y = x ⊙ s: one learned factor per feature (the last axis), starting at 1. */
export class Scale implements Layer {
  readonly className = "acme>scale"; // the name model files store
  name: string;
  private scale: Param | undefined;
  private lastX: Tensor | undefined;

  constructor(config: { name?: string } = {}) {
    this.name = config.name ?? this.className;
  }
  get built(): boolean {
    return this.scale !== undefined;
  }
  build(inputShape: Shape, ctx: BuildContext): void {
    const features = inputShape[inputShape.length - 1] as number;
    this.scale = new Param(`${ctx.prefix}.scale`, Tensor.full([features], 1, ctx.dtype));
  }
  computeOutputShape(inputShape: Shape): Shape {
    return inputShape;
  }
  paramShapes(inputShape: Shape): ParamShape[] {
    return [{ name: "scale", shape: [inputShape[inputShape.length - 1] as number] }];
  }
  forward(x: Tensor): Tensor {
    const s = (this.scale as Param).value.data;
    const y = x.zerosLike();
    for (let i = 0; i < x.size; i++) y.data[i] = (x.data[i] as number) * (s[i % s.length] as number);
    this.lastX = x;
    return y;
  }
  backward(dy: Tensor): Tensor {
    const { value, grad } = this.scale as Param;
    const x = (this.lastX as Tensor).data;
    const dx = dy.zerosLike();
    for (let i = 0; i < dy.size; i++) {
      const j = i % value.size;
      grad.data[j] = (grad.data[j] as number) + (dy.data[i] as number) * (x[i] as number); // dL/ds
      dx.data[i] = (dy.data[i] as number) * (value.data[j] as number); // dL/dx
    }
    return dx;
  }
  params(): Param[] {
    return this.scale ? [this.scale] : [];
  }
  regularizationLoss(): number {
    return 0;
  }
  getConfig(): JsonObject {
    return { name: this.name };
  }
  inspect(): LayerInspection {
    return this.lastX ? { input: this.lastX } : {};
  }
}
registerLayer("acme>scale", (config) => new Scale(config as { name?: string }));

// Forward and backward agree with finite differences (input and the scale parameter).
const check = gradientCheck(new Scale(), { inputShape: [3] });

// It trains like any layer, and a model file that names it loads through the registry.
const model = new Sequential([new Scale(), new Dense({ units: 1 })], { seed: 1, dtype: "float64" });
model.build([3]);
const restored = modelFromJSON(JSON.parse(JSON.stringify(modelToJSON(model))));
const x = Matrix.fromArray([[1, 2, 3]]);
console.log(check.ok, model.predict(x).toArray(), restored.predict(x).toArray()); // true, same numbers
// #endregion example

export { check, model, restored, x };
