// What the release checks know about the workspace: where it is, which packages get published, and
// how to run a command (pnpm at the pinned version, npm in a clean environment) and fail loudly.
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is `apps/release-check/src/workspace.ts`). */
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** The docs site every package links to. */
export const DOCS_URL = "https://backprop-js.github.io/backprop/";

/** One workspace package: its folder (relative to the root) and its package.json. */
export interface WorkspacePackage {
  dir: string;
  json: PackageJson;
}

export interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  [key: string]: unknown;
}

/**
 * Every package that is published to npm, with the docs page its README must link to. A new
 * package that is not private has to be added here (a test says so), so nothing is published
 * without these checks.
 */
export const PUBLISHABLE: readonly { name: string; dir: string; apiPage: string }[] = [
  { name: "@backprop/linalg", dir: "packages/linalg", apiPage: `${DOCS_URL}reference/api/linalg/` },
  { name: "@backprop/activations", dir: "packages/activations", apiPage: `${DOCS_URL}reference/api/activations/` },
  { name: "@backprop/optimizers", dir: "packages/optimizers", apiPage: `${DOCS_URL}reference/api/optimizers/` },
  { name: "@backprop/layers", dir: "packages/layers", apiPage: `${DOCS_URL}reference/api/layers/` },
  { name: "@backprop/serialize", dir: "packages/serialize", apiPage: `${DOCS_URL}reference/api/serialize/` },
  { name: "@backprop/all", dir: "packages/all", apiPage: `${DOCS_URL}reference/api/` },
  { name: "@backprop/cli", dir: "apps/cli", apiPage: `${DOCS_URL}reference/cli.html` },
];

/** Reads a JSON file. */
export function readJson<T = PackageJson>(path: string): T {
  return JSON.parse(readFileSync(path, "utf8")) as T;
}

/** Every package of the workspace (`packages/*` and `apps/*`, as pnpm-workspace.yaml lists them). */
export function workspacePackages(root = ROOT): WorkspacePackage[] {
  const out: WorkspacePackage[] = [];
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, group)).sort()) {
      const file = join(root, group, name, "package.json");
      if (existsSync(file)) out.push({ dir: `${group}/${name}`, json: readJson(file) });
    }
  }
  return out;
}

/** The pnpm version the repository pins (`packageManager` in the root package.json). */
export const PNPM = (readJson(join(ROOT, "package.json")).packageManager as string).replace(/\+.*$/, "");

/**
 * The environment for a child npm or pnpm: this process's, less what the pnpm running the tests
 * put there for its own script (`npm_config_*`, `npm_package_*`, `npm_lifecycle_*`, …), which would
 * otherwise steer the child (its prefix, its package). The user's .npmrc still applies, and so do
 * the settings that reach the registry (registry, proxy, certificates).
 */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = /^npm_config_(registry|cafile|ca|cert|key|strict_ssl|proxy|https_proxy|http_proxy|noproxy|userconfig|globalconfig|fetch_.*)$/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (/^(npm_|pnpm_)/.test(lower) && !keep.test(key)) continue;
    if (/^(init_cwd|pnpm_package_name)$/.test(lower)) continue;
    env[key] = value;
  }
  return { ...env, CI: "1", NO_COLOR: "1", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...extra };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command and returns its output; a non-zero exit, a signal or a timeout throws with the
 * command, where it ran, and everything it printed.
 */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions & { cwd: string }): RunResult {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    timeout: 480_000,
    maxBuffer: 64 * 1024 * 1024,
    env: childEnv(),
    ...options,
  });
  const stdout = String(result.stdout ?? "");
  const stderr = String(result.stderr ?? "");
  if (result.error || result.status !== 0) {
    const why = result.error ? String(result.error) : result.signal ? `signal ${result.signal}` : `exit code ${result.status}`;
    throw new Error(`\`${command} ${args.join(" ")}\` in ${options.cwd} failed (${why})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
  return { stdout, stderr };
}

/** Runs pnpm at the pinned version, as the README does (`npx -y pnpm@<version> …`). */
export function pnpm(args: readonly string[], options: SpawnSyncOptions & { cwd: string }): RunResult {
  return run("npx", ["-y", PNPM, ...args], options);
}
