// #region example
import { adam, cosineDecay, exponentialDecay, linearWarmup, stepDecay } from "@backprop/optimizers";

const cosine = cosineDecay({ initial: 0.1, decaySteps: 100, alpha: 0.01 });
console.log(cosine.at(0), cosine.at(50), cosine.at(100));      // 0.1 … 0.001

const steps = stepDecay({ initial: 0.1, stepSize: 30, gamma: 0.5 });
console.log(steps.at(29), steps.at(30));                         // 0.1 0.05

const warm = linearWarmup({ warmupSteps: 10, then: exponentialDecay({ initial: 0.01, gamma: 0.5, decaySteps: 100 }) });
console.log(warm.at(0), warm.at(9), warm.at(110));               // 0.001 0.01 0.005

const opt = adam({ lr: warm });                                  // any optimizer takes a schedule as lr
console.log(opt.learningRate);                                   // the rate of the next step
// #endregion example

export { cosine, opt, steps, warm };
