import { defineConfig } from "vite";

// A static site: relative asset paths so dist/ works from any folder or sub-path.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", target: "es2022", sourcemap: true },
  worker: { format: "es" },
  server: { host: "127.0.0.1" },
});
