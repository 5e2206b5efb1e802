import { defineConfig } from "tsup";
import { asciiOutput } from "../../tsup.ascii.js";

export default defineConfig({
  entry: ["src/main.ts", "src/compare-builds.ts"],
  format: ["esm"],
  sourcemap: true,
  clean: true,
  target: "es2022",
  platform: "node",
  // The peers stay external: they are loaded from node_modules, as a user would load them.
  external: [/^@tensorflow\//, "brain.js", /^@backprop\//],
  plugins: [asciiOutput],
});
