import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineConfig } from "vite";

// NOTE: @backprop/serialize ships one tsup chunk holding every format, and a few of its top-level
// statements are not provably pure (`onnxProto.onnx`, `{ ...Object.fromEntries(…) }` tables of the
// ONNX and TF.js readers), so bundling its dist kept the ONNX/TF.js code and all of onnx-proto and
// protobufjs in the worker (~170 KB minified) although the worker only reads and writes JSON model
// files. Its sources are one module per concept under `"sideEffects": false`, so bundling those
// lets the unused formats drop out. Only the bare specifier is redirected (not `…/node`).
const serializeSource = join(dirname(createRequire(import.meta.url).resolve("@backprop/serialize/package.json")), "src/index.ts");

// A static site: relative asset paths so dist/ works from any folder or sub-path.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", target: "es2022", sourcemap: true },
  resolve: { alias: [{ find: /^@backprop\/serialize$/, replacement: serializeSource }] },
  worker: { format: "es" },
  server: { host: "127.0.0.1" },
});
