// Packs every publishable package once, with `pnpm pack` as a release does (workspace: ranges become
// real ones), into a temporary folder that every test file reads and that is removed at the end.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { PUBLISHABLE, ROOT, pnpm } from "./workspace.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** A temporary folder for the tests' own work, removed after the run. */
    workDir: string;
    /** Package name → absolute path of its packed tarball. */
    tarballs: Record<string, string>;
  }
}

export default function setup(project: TestProject): () => void {
  const missing = PUBLISHABLE.filter((p) => !existsSync(join(ROOT, p.dir, "dist")));
  if (missing.length > 0) {
    throw new Error(
      `release-check: ${missing.map((p) => p.name).join(", ")} not built (no dist/)\n` +
        "hint: `npx -y pnpm@10.34.9 test` builds them first (turbo), or run `npx -y pnpm@10.34.9 build`",
    );
  }
  const workDir = mkdtempSync(join(tmpdir(), "backprop-release-check-"));
  const packDir = join(workDir, "tarballs");
  mkdirSync(packDir);
  const filters = PUBLISHABLE.flatMap((p) => ["--filter", p.name]);
  const { stdout } = pnpm(["-r", ...filters, "pack", "--pack-destination", packDir, "--json"], { cwd: ROOT });
  const packed = JSON.parse(stdout.slice(stdout.indexOf("["))) as { name: string; filename: string }[];
  const tarballs: Record<string, string> = {};
  for (const { name, filename } of packed) tarballs[name] = filename;
  for (const { name } of PUBLISHABLE) {
    if (!tarballs[name] || !existsSync(tarballs[name])) throw new Error(`release-check: pnpm pack made no tarball for ${name}\n${stdout}`);
  }
  project.provide("workDir", workDir);
  project.provide("tarballs", tarballs);
  return () => rmSync(workDir, { recursive: true, force: true });
}
