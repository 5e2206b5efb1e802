import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { BackpropError, type Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import { decodeModel, detectFormat, encodeModel } from "./codec.js";
import type { LoadOptions } from "./custom-components.js";
import { DEFAULT_FORMAT, FORMATS, formatForExtension, formatSpec, type FormatSpec, type ModelFormat } from "./formats.js";
import type { ToJSONOptions } from "./model-file.js";

/** Options of {@link saveModel}. */
export interface SaveOptions extends ToJSONOptions {
  /** Output format; default from the extension (`.json`, `.safetensors`, `.onnx`, `.tfjs` — a directory), else `"json"`. */
  readonly format?: ModelFormat;
}

/** What {@link loadModel} returns. */
export interface LoadedModel {
  readonly model: Sequential;
  readonly metadata: Record<string, Json>;
  readonly format: ModelFormat;
}

/**
 * Writes `bytes` to `path` atomically: a temporary file in the same directory, then `rename`, so
 * a reader sees the old file or the whole new one — never half of it.
 * @example
 * ```ts
 * await writeFileAtomic("model.json", bytes);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: "wx" });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Saves a model atomically (temp file + rename) and returns the paths written. `json`,
 * `safetensors` and `onnx` write one file at `path`; `tfjs` writes `model.json` and
 * `model.weights.bin` into the directory `path` (weights first, so `model.json` never points at
 * missing weights).
 *
 * @example
 * ```ts
 * await saveModel(model, "out/model.safetensors", { metadata: { columns } });
 * ```
 */
export async function saveModel(model: Sequential, path: string, options: SaveOptions = {}): Promise<string[]> {
  const format = options.format ?? formatForExtension(extname(path)) ?? DEFAULT_FORMAT;
  const spec = formatSpec(format);
  const { files } = encodeModel(model, { ...options, format });
  if (spec?.directory === true) {
    await mkdir(path, { recursive: true });
    // The main file last, so it never points at files not written yet.
    const names = Object.keys(files).sort((a, b) => Number(a.endsWith(spec.mainFile)) - Number(b.endsWith(spec.mainFile)));
    const written: string[] = [];
    for (const name of names) {
      const target = join(path, name);
      await writeFileAtomic(target, files[name] as Uint8Array);
      written.push(target);
    }
    return written;
  }
  await mkdir(dirname(path), { recursive: true });
  const bytes = Object.values(files)[0] as Uint8Array;
  await writeFileAtomic(path, bytes);
  return [path];
}

/** Adds the files that belong with `main` in `dir` (TF.js weight shards), when its format has any. */
async function addCompanions(files: Record<string, Uint8Array>, dir: string, spec: FormatSpec | undefined): Promise<void> {
  const companion = spec?.companion;
  if (companion === undefined) return;
  for (const n of await readdir(dir)) if (companion(n) && !(n in files)) files[n] = new Uint8Array(await readFile(join(dir, n)));
}

/**
 * Loads a model saved in any supported format: a directory (TF.js: `model.json` + its weight
 * files), or a file whose format is taken from the extension, else from its first bytes.
 *
 * @throws BackpropError `INVALID_FILE` naming the file and the path inside it;
 *   `UNSUPPORTED_FORMAT_VERSION`; `UNKNOWN_COMPONENT`
 * @example
 * ```ts
 * const { model, metadata } = await loadModel("out/model.safetensors");
 * ```
 */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<LoadedModel> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new BackpropError("INVALID_FILE", `${path}: cannot be read (${(error as Error).message})`, { cause: error });
  }
  const files: Record<string, Uint8Array> = {};
  if (info.isDirectory()) {
    const entries = await readdir(path);
    const mains = FORMATS.filter((f) => f.directory).map((f) => f.mainFile);
    const main = entries.find((n) => mains.some((ext) => n.toLowerCase().endsWith(ext)));
    if (main === undefined) throw new BackpropError("INVALID_FILE", `${path}: no model file in the directory (expected a file ending in ${mains.join(" or ")})`);
    files[main] = new Uint8Array(await readFile(join(path, main)));
    const format = detectFormat(files);
    await addCompanions(files, path, formatSpec(format));
    return decodeModel(files, format, { ...options, file: options.file ?? join(path, main) });
  }
  files[basename(path)] = new Uint8Array(await readFile(path));
  // Names first (.onnx, .safetensors), then contents: a .json may be native or TF.js' model.json.
  const format = detectFormat(files);
  await addCompanions(files, dirname(path), formatSpec(format));
  return decodeModel(files, format, { ...options, file: options.file ?? path });
}
