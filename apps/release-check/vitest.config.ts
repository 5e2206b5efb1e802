import { defineConfig } from "vitest/config";

// One `pnpm pack` of every publishable package (global-setup.ts) feeds every test file. The files
// run one at a time: they are few, and each runs npm, node or attw as child processes that
// already keep a core busy.
export default defineConfig({
  test: {
    globalSetup: ["./src/global-setup.ts"],
    fileParallelism: false,
  },
});
