import type { Activation } from "./activation.js";
import { elu } from "./elu.js";
import { gaussian } from "./gaussian.js";
import { gelu } from "./gelu.js";
import { hardSigmoid } from "./hard-sigmoid.js";
import { hardTanh } from "./hard-tanh.js";
import { identity } from "./identity.js";
import { leakyRelu } from "./leaky-relu.js";
import { mish } from "./mish.js";
import { relu } from "./relu.js";
import { relu6 } from "./relu6.js";
import { selu } from "./selu.js";
import { sigmoid } from "./sigmoid.js";
import { silu } from "./silu.js";
import { sinusoid } from "./sinusoid.js";
import { softplus } from "./softplus.js";
import { softsign } from "./softsign.js";
import { tanh } from "./tanh.js";

/** Every built-in, with the configured ones at their defaults and at a non-default config. */
export const ALL_BUILTINS: readonly (readonly [string, Activation])[] = [
  ["identity", identity],
  ["sigmoid", sigmoid],
  ["tanh", tanh],
  ["relu", relu],
  ["leakyRelu()", leakyRelu()],
  ["leakyRelu(0.2)", leakyRelu({ alpha: 0.2 })],
  ["elu()", elu()],
  ["elu(0.5)", elu({ alpha: 0.5 })],
  ["selu", selu],
  ["gelu()", gelu()],
  ["gelu(tanh)", gelu({ approximate: true })],
  ["softplus", softplus],
  ["softsign", softsign],
  ["silu", silu],
  ["mish", mish],
  ["hardSigmoid", hardSigmoid],
  ["hardTanh", hardTanh],
  ["relu6", relu6],
  ["sinusoid", sinusoid],
  ["gaussian", gaussian],
];
