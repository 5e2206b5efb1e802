import { defineConfig } from "vite";

// A static site: relative asset paths so dist/ works from any folder or sub-path.
// NOTE: @backprop/serialize is bundled from its dist, as any user gets it: its main entry holds no
// ONNX or TF.js code (they have entries of their own), so the worker stays small without an alias.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", target: "es2022", sourcemap: true },
  worker: { format: "es" },
  server: { host: "127.0.0.1" },
});
