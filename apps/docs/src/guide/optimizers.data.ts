// The default config of every built-in optimizer, read from the library when the site is built.
import { getOptimizer, optimizerNames } from "@backprop/optimizers";

export default {
  load(): Record<string, Record<string, unknown>> {
    return Object.fromEntries(
      optimizerNames()
        .filter((name) => !name.includes(">"))
        .map((name) => [name, { ...getOptimizer(name).config }]),
    );
  },
};
