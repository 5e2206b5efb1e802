// Measures what @backprop/serialize costs its users (issue 16), and prints it:
//  (a) install size: the package's own tarball (`npm pack --dry-run`), and the third-party
//      dependency closure a fresh `npm install` brings (each in a temporary folder, `du` of its
//      node_modules) — with `--install` only, since it downloads from the npm registry;
//  (b) bundle size: esbuild bundles, minified, gzip -9 (as a server sends them), of a JSON-only
//      user, an ONNX user and a user of the all-format codec, with what each holds, by package.
//
// Usage (from packages/serialize, after `npx tsup`):
//   node scripts/measure-size.mjs                 # bundles of this package's dist
//   node scripts/measure-size.mjs --install       # and the install sizes
//   node scripts/measure-size.mjs --package DIR   # bundles of another build: DIR holds its
//                                                 # package.json and dist/ (e.g. a copy of 0.1.0's)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const packageDir = resolve(args.includes("--package") ? (args[args.indexOf("--package") + 1] ?? "") : here);
const manifest = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8"));
// NOTE: esbuild comes with tsup (a devDependency); it is not a dependency of this package itself.
const esbuild = createRequire(createRequire(join(here, "package.json")).resolve("tsup"))("esbuild");

const KB = (n) => `${(n / 1024).toFixed(1)} KB`;
const MB = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** The file an `@backprop/serialize[/sub]` import names in `packageDir`'s exports map, or undefined. */
function exported(subpath) {
  const entry = manifest.exports?.[subpath];
  const target = typeof entry === "string" ? entry : (entry?.import ?? entry?.default);
  return target === undefined ? undefined : join(packageDir, target);
}

/** Resolves `@backprop/serialize…` to `packageDir` (a copy elsewhere resolves its own dependencies from here). */
const serializeResolver = {
  name: "backprop-serialize",
  setup(build) {
    build.onResolve({ filter: /^@backprop\/serialize(\/.*)?$/ }, ({ path }) => {
      const file = exported(`.${path.slice("@backprop/serialize".length)}`);
      return file === undefined ? { errors: [{ text: `${path} is not exported by ${packageDir}` }] } : { path: file };
    });
  },
};

/** Which package a bundled file belongs to, for the breakdown. */
function owner(input) {
  const normalized = input.replaceAll("\\", "/");
  if (normalized.startsWith(`${packageDir.replaceAll("\\", "/")}/`)) return "@backprop/serialize";
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules)/.exec(normalized);
  if (dependency) return dependency[1];
  // The workspace's own packages, linked (pnpm) to their folders.
  const workspace = /\/packages\/([^/]+)\//.exec(normalized);
  return workspace ? `@backprop/${workspace[1]}` : "?";
}

/** A minified ESM bundle of `source`: its gzip size and the minified bytes of each package in it. */
async function bundle(source) {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: here, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    nodePaths: [join(here, "node_modules")],
    plugins: [serializeResolver],
  });
  const code = result.outputFiles[0].contents;
  const parts = new Map();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = owner(resolve(here, input));
      parts.set(name, (parts.get(name) ?? 0) + bytesInOutput);
    }
  }
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, parts };
}

/** Where a group of functions is: its own entry where the package has one, else the main entry (0.1.0). */
const entry = (sub) => (exported(`./${sub}`) === undefined ? "@backprop/serialize" : `@backprop/serialize/${sub}`);
const bundles = [
  ["JSON only (modelToJSON, modelFromJSON)", `import { modelToJSON, modelFromJSON } from "@backprop/serialize"; console.log(modelToJSON, modelFromJSON);`],
  ["safetensors only", `import { modelToSafetensors, modelFromSafetensors } from "@backprop/serialize"; console.log(modelToSafetensors, modelFromSafetensors);`],
  ["ONNX (modelToOnnx, modelFromOnnx)", `import { modelToOnnx, modelFromOnnx } from "${entry("onnx")}"; console.log(modelToOnnx, modelFromOnnx);`],
  ["TF.js (modelToTfjs, modelFromTfjs)", `import { modelToTfjs, modelFromTfjs } from "${entry("tfjs")}"; console.log(modelToTfjs, modelFromTfjs);`],
  ["every format (encodeModel, decodeModel)", `import { encodeModel, decodeModel } from "${entry("codec")}"; console.log(encodeModel, decodeModel);`],
];

console.log(`@backprop/serialize ${manifest.version} at ${packageDir}\n`);
console.log("Bundles (esbuild, minified, browser ESM; gzip -9):");
for (const [label, source] of bundles) {
  let result;
  try {
    result = await bundle(source);
  } catch (error) {
    // E.g. a copy of 0.1.0 once onnx-proto is no longer installed here.
    console.log(`  ${label.padEnd(42)} cannot be bundled here: ${error.errors?.[0]?.text ?? error.message}`);
    continue;
  }
  const { minified, gzip, parts } = result;
  const top = [...parts.entries()].sort((a, b) => b[1] - a[1]).filter(([, n]) => n > 0);
  console.log(`  ${label.padEnd(42)} ${KB(gzip).padStart(9)} gzip  ${KB(minified).padStart(9)} minified`);
  console.log(`    ${top.map(([name, n]) => `${name} ${KB(n)}`).join(", ")}`);
}

if (args.includes("--install")) {
  console.log("\nInstall size:");
  const pack = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: packageDir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }))[0];
  console.log(`  the package itself (npm pack): ${KB(pack.size)} tarball, ${KB(pack.unpackedSize)} unpacked, ${pack.entryCount} files`);
  const thirdParty = Object.entries(manifest.dependencies ?? {}).filter(([, range]) => !String(range).startsWith("workspace:")).map(([name, range]) => `${name}@${range}`);
  // NOTE: what 0.1.0 depended on besides these, for the comparison (protobufjs came through it).
  const before = manifest.dependencies?.["onnx-proto"] === undefined ? [...thirdParty, "onnx-proto@^8.0.1"] : thirdParty;
  const sets = before.length === thirdParty.length ? [["dependencies", thirdParty]] : [["dependencies now", thirdParty], ["with onnx-proto (0.1.0)", before]];
  for (const [label, specs] of sets) {
    const dir = mkdtempSync(join(tmpdir(), "serialize-install-"));
    try {
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "measure", private: true }));
      execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error", ...specs], { cwd: dir, stdio: "ignore" });
      const bytes = Number(execFileSync("du", ["-sb", "node_modules"], { cwd: dir, encoding: "utf8" }).split(/\s/)[0]);
      const listed = execFileSync("npm", ["ls", "--all", "--parseable"], { cwd: dir, encoding: "utf8" }).trim().split("\n").slice(1);
      const packages = listed.length;
      const withScripts = listed.filter((dir) => {
        const scripts = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).scripts ?? {};
        return ["preinstall", "install", "postinstall"].some((s) => s in scripts);
      });
      const scripts = withScripts.length === 0 ? "no install scripts" : `install scripts in ${withScripts.map((d) => d.split("node_modules/").pop()).join(", ")}`;
      console.log(`  ${label} (${specs.join(" ")}): ${MB(bytes)} in ${packages} packages, ${scripts}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
