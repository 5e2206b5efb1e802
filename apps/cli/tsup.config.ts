import { defineConfig } from "tsup";
import { asciiOutput } from "../../tsup.ascii.js";

export default defineConfig({
  entry: ["src/main.ts"],
  format: ["esm"],
  // main.ts loads the program with import(): a chunk of its own, so `--version` and the closed-pipe
  // handling run before the packages load (tsup splits ESM by default; said here because it matters).
  splitting: true,
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
  banner: { js: "#!/usr/bin/env node" },
  plugins: [asciiOutput],
});
