import { defineConfig } from "vitest/config";

// `pnpm bench` in this package: the timing files, one at a time so they do not slow each other.
export default defineConfig({
  test: {
    include: ["src/**/*.bench.test.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
    outputFile: { json: ".vitest/bench-results.json" },
  },
});
