import { defineConfig } from "tsup";
import { asciiOutput } from "../../tsup.ascii.js";

export default defineConfig({
  // The worker script is its own entry: helper threads load it by URL, next to the other files.
  entry: ["src/index.ts", "src/threads.ts", "src/backend-wasm-worker.js"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "es2022",
  plugins: [asciiOutput],
});
