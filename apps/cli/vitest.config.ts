import { configDefaults, defineConfig } from "vitest/config";

// `pnpm test` runs the tests that cannot fail for a busy machine. The `*.bench.test.ts` files time
// things (CSV read rates, model file load rates, the cost of an epoch), so they run in `pnpm bench`
// (vitest.bench.config.ts), where speed and memory targets belong.
export default defineConfig({
  test: {
    exclude: [...configDefaults.exclude, "**/*.bench.test.ts"],
  },
});
