import type { NestedArray, Param, Tensor } from "@backprop/linalg";
import type { Optimizer } from "@backprop/optimizers";
import type { Layer } from "../layer.js";
import type { Loss } from "../losses/index.js";

/** One parameter during a traced step. */
export interface ParamTrace {
  /** Stable name, e.g. `"layers.0.kernel"`. */
  readonly name: string;
  /** Whether the optimizer was allowed to change it. */
  readonly trainable: boolean;
  /** Value before the step, nested as its shape (a Dense kernel is in×out, a bias one list). */
  readonly before: NestedArray;
  /** dLoss/dParam. */
  readonly gradient: NestedArray;
  /** Value after the step. */
  readonly after: NestedArray;
}

/** One layer during a traced step; every value is nested as its tensor, first axis = samples. */
export interface LayerTrace {
  /** Position in the model. */
  readonly index: number;
  /** Layer name, e.g. `"dense_0"`. */
  readonly name: string;
  /** Layer type, e.g. `"dense"`. */
  readonly className: string;
  /** Activation name, if the layer has one. */
  readonly activation?: string;
  /** The layer's input. */
  readonly input: NestedArray;
  /** Pre-activation ("net") values: `x·W + b`. */
  readonly preActivation?: NestedArray;
  /** Output ("out") values. */
  readonly output: NestedArray;
  /** dLoss/dOutput. For the last layer this is the loss gradient ("error" in the literature). */
  readonly outputGradient?: NestedArray;
  /** δ = dLoss/dNet. */
  readonly delta?: NestedArray;
  /** The layer's parameters before, their gradients, and after. */
  readonly params: readonly ParamTrace[];
  /** A recurrent layer's gates and states at every time step (see `LayerInspection.timeSteps`). */
  readonly timeSteps?: Readonly<Record<string, NestedArray>>;
  /** A recurrent layer's gate gradients at every time step (see `LayerInspection.timeStepGradients`). */
  readonly timeStepGradients?: Readonly<Record<string, NestedArray>>;
}

/** Every number of one training step, for people (walkthroughs, docs, the demo). */
export interface StepTrace {
  /** The loss's registry name. */
  readonly lossName: string;
  /** The optimizer's registry name and the learning rate it used. */
  readonly optimizer: {
    /** Registry name, e.g. `"sgd"`. */
    readonly name: string;
    /** The learning rate of this step. */
    readonly learningRate: number;
  };
  /** The inputs of the batch. */
  readonly input: NestedArray;
  /** The targets of the batch. */
  readonly target: NestedArray;
  /** The model's output before the step. */
  readonly prediction: NestedArray;
  /** The loss before the step (with regularization). */
  readonly loss: number;
  /** The loss on the same batch after the step. */
  readonly lossAfter: number;
  /** Per layer, first to last. */
  readonly layers: readonly LayerTrace[];
}

/** What {@link captureStep} needs from the model. */
export interface StepHooks {
  readonly layers: readonly Layer[];
  readonly params: readonly Param[];
  readonly loss: Loss;
  readonly optimizer: Optimizer;
  readonly x: Tensor;
  readonly y: Tensor;
  /** Runs one training step (forward, backward, update) and returns its loss and output. */
  readonly step: () => { loss: number; yPred: Tensor };
  /** Forward pass in inference mode. */
  readonly forward: () => Tensor;
  /** Current regularization penalty. */
  readonly regularization: () => number;
}

const nested = (values: Readonly<Record<string, Tensor>>): Record<string, NestedArray> =>
  Object.fromEntries(Object.entries(values).map(([name, t]) => [name, t.toArray()]));

const copy = (t: Tensor | undefined): NestedArray | undefined => (t ? t.toArray() : undefined);

/**
 * Runs one step through `hooks.step` and copies out every intermediate value. Internal: the
 * public entry is `Sequential.traceStep`.
 */
export function captureStep(hooks: StepHooks): StepTrace {
  const learningRate = hooks.optimizer.learningRate;
  const before = new Map(hooks.params.map((p) => [p.name, p.value.toArray()]));
  const { loss, yPred } = hooks.step();
  const prediction = yPred.toArray();
  const last = hooks.layers.length - 1;
  const layers = hooks.layers.map((layer, index): LayerTrace => {
    const seen = layer.inspect();
    let outputGradient = copy(seen.outputGradient);
    if (index === last && outputGradient === undefined && seen.output) {
      // NOTE: with softmax fused into cross-entropy the model never forms dLoss/dOutput; compute it
      // here, off the training path, so the trace still shows the "error" of the output layer.
      const g = seen.output.clone();
      hooks.loss.gradient(seen.output.asMatrix(), hooks.y.asMatrix(), g.asMatrix());
      outputGradient = g.toArray();
    }
    const config = layer.getConfig();
    const activation = (config["activation"] as { name?: string } | undefined)?.name;
    return {
      index,
      name: layer.name,
      className: layer.className,
      ...(activation ? { activation } : {}),
      input: copy(seen.input) ?? [],
      ...(seen.preActivation ? { preActivation: seen.preActivation.toArray() } : {}),
      output: copy(seen.output) ?? [],
      ...(outputGradient ? { outputGradient } : {}),
      ...(seen.delta ? { delta: seen.delta.toArray() } : {}),
      ...(seen.timeSteps ? { timeSteps: nested(seen.timeSteps) } : {}),
      ...(seen.timeStepGradients ? { timeStepGradients: nested(seen.timeStepGradients) } : {}),
      params: layer.params().map((p) => ({
        name: p.name,
        trainable: p.trainable,
        before: before.get(p.name) ?? [],
        gradient: p.grad.toArray(),
        after: p.value.toArray(),
      })),
    };
  });
  const yAfter = hooks.forward();
  const lossAfter = hooks.loss.compute(yAfter.asMatrix(), hooks.y.asMatrix()) + hooks.regularization();
  return {
    lossName: hooks.loss.name,
    optimizer: { name: hooks.optimizer.name, learningRate },
    input: hooks.x.toArray(),
    target: hooks.y.toArray(),
    prediction,
    loss,
    lossAfter,
    layers,
  };
}
