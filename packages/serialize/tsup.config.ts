import { defineConfig } from "tsup";
import { asciiOutput } from "../../tsup.ascii.js";

// One file per entry and shared chunks for the modules several entries use (`splitting`), so a
// bundler that meets `import { modelToJSON } from "@backprop/serialize"` loads no ONNX module at
// all, and drops unused exports of the shared chunks (`"sideEffects": false` and top-level code
// free of calls: see format-info.ts).
export default defineConfig({
  entry: { index: "src/index.ts", onnx: "src/onnx.ts", tfjs: "src/tfjs.ts", codec: "src/codec.ts", node: "src/node.ts" },
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  target: "es2022",
  plugins: [asciiOutput],
});
