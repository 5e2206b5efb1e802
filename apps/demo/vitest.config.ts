import { defineConfig } from "vitest/config";

// One run counts both kinds: unit tests beside the code and the browser tests in e2e/.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: true,
  },
});
