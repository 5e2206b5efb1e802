/** Every documented package and its public entry points (package-relative). */
export const API_PACKAGES: readonly { dir: string; entries: readonly string[] }[] = [
  { dir: "packages/linalg", entries: ["src/index.ts"] },
  { dir: "packages/activations", entries: ["src/index.ts"] },
  { dir: "packages/optimizers", entries: ["src/index.ts"] },
  { dir: "packages/layers", entries: ["src/index.ts"] },
  { dir: "packages/serialize", entries: ["src/index.ts", "src/onnx.ts", "src/tfjs.ts", "src/codec.ts", "src/node.ts"] },
];
