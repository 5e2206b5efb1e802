import { BackpropError, type JsonObject } from "@backprop/linalg";
import type { Activation, ActivationFactory } from "./activation.js";
import { describeValue, jsonEqual } from "./config.js";
import { elu, type EluConfig } from "./elu.js";
import { gaussian } from "./gaussian.js";
import { gelu, type GeluConfig } from "./gelu.js";
import { hardSigmoidWith, type HardSigmoidConfig } from "./hard-sigmoid.js";
import { hardTanh } from "./hard-tanh.js";
import { identity } from "./identity.js";
import { leakyRelu, type LeakyReluConfig } from "./leaky-relu.js";
import { mish } from "./mish.js";
import { relu } from "./relu.js";
import { relu6 } from "./relu6.js";
import { selu } from "./selu.js";
import { sigmoid } from "./sigmoid.js";
import { silu } from "./silu.js";
import { sinusoid } from "./sinusoid.js";
import { softplus } from "./softplus.js";
import { softmax } from "./softmax.js";
import { softsign } from "./softsign.js";
import { tanh } from "./tanh.js";

/**
 * A factory for an activation whose config is fixed: it accepts no config or exactly the
 * activation's own (that is what a saved model holds), and refuses anything else rather than
 * silently ignoring it.
 */
export function fixedFactory(activation: Activation, registeredAs: string = activation.name): ActivationFactory {
  return (config?: JsonObject) => {
    if (config !== undefined && !jsonEqual(config, activation.config)) {
      const none = Object.keys(activation.config).length === 0;
      throw new BackpropError(
        "INVALID_CONFIG",
        `getActivation("${registeredAs}"): config does not match (got ${describeValue(config)}, expected ${describeValue(activation.config)})`,
        {
          hint: none
            ? `"${registeredAs}" has no hyperparameters: pass no config`
            : `"${registeredAs}" was registered as a fixed activation; register a factory, registerActivation("${registeredAs}", (config) => defineActivation({ ... })), to accept other configs`,
        },
      );
    }
    return activation;
  };
}

// NOTE: configs come from model files, so they are untyped here; each factory validates its own.
/**
 * Every built-in name (lowerCamel literals, plus the aliases `linear` → identity and
 * `swish` → silu) mapped to its factory. Built lazily, on the first registry lookup.
 */
export function builtinActivations(): Readonly<Record<string, ActivationFactory>> {
  return {
    identity: fixedFactory(identity),
    linear: fixedFactory(identity, "linear"),
    sigmoid: fixedFactory(sigmoid),
    tanh: fixedFactory(tanh),
    relu: fixedFactory(relu),
    leakyRelu: (config) => leakyRelu(config as LeakyReluConfig | undefined),
    elu: (config) => elu(config as EluConfig | undefined),
    selu: fixedFactory(selu),
    gelu: (config) => gelu(config as GeluConfig | undefined),
    softplus: fixedFactory(softplus),
    softsign: fixedFactory(softsign),
    softmax: fixedFactory(softmax),
    silu: fixedFactory(silu),
    swish: fixedFactory(silu, "swish"),
    mish: fixedFactory(mish),
    hardSigmoid: (config) => hardSigmoidWith(config as HardSigmoidConfig | undefined),
    hardTanh: fixedFactory(hardTanh),
    relu6: fixedFactory(relu6),
    sinusoid: fixedFactory(sinusoid),
    gaussian: fixedFactory(gaussian),
  };
}
