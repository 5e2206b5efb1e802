import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { BackpropError, type Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import { decodeModel, detectFormat, encodeModel, type ModelFormat } from "./codec.js";
import type { LoadOptions } from "./custom-components.js";
import type { ToJSONOptions } from "./model-file.js";

/** Options of {@link saveModel}. */
export interface SaveOptions extends ToJSONOptions {
  /** Output format; default from the extension (`.json`, `.safetensors`, `.onnx`; a directory or `.tfjs` → tfjs), else `"json"`. */
  readonly format?: ModelFormat;
}

/** What {@link loadModel} returns. */
export interface LoadedModel {
  readonly model: Sequential;
  readonly metadata: Record<string, Json>;
  readonly format: ModelFormat;
}

const BY_EXTENSION: Readonly<Record<string, ModelFormat>> = { ".json": "json", ".safetensors": "safetensors", ".onnx": "onnx", ".tfjs": "tfjs" };

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
  const format = options.format ?? BY_EXTENSION[extname(path).toLowerCase()] ?? "json";
  if (format === "tfjs") {
    await mkdir(path, { recursive: true });
    const { files } = encodeModel(model, { ...options, format });
    const names = [...Object.keys(files).filter((n) => !n.endsWith(".json")), ...Object.keys(files).filter((n) => n.endsWith(".json"))];
    const written: string[] = [];
    for (const name of names) {
      const target = join(path, name);
      await writeFileAtomic(target, files[name] as Uint8Array);
      written.push(target);
    }
    return written;
  }
  await mkdir(dirname(path), { recursive: true });
  const { files } = encodeModel(model, { ...options, format });
  const bytes = Object.values(files)[0] as Uint8Array;
  await writeFileAtomic(path, bytes);
  return [path];
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
  let format: ModelFormat | undefined;
  if (info.isDirectory()) {
    const json = (await readdir(path)).find((n) => n.endsWith(".json"));
    if (json === undefined) throw new BackpropError("INVALID_FILE", `${path}: no model.json in the directory`);
    const jsonBytes = new Uint8Array(await readFile(join(path, json)));
    files[json] = jsonBytes;
    format = detectFormat({ [json]: jsonBytes });
    if (format === "tfjs") {
      for (const n of await readdir(path)) if (n.endsWith(".bin")) files[n] = new Uint8Array(await readFile(join(path, n)));
    }
    return { ...decodeModel(files, format, { ...options, file: options.file ?? join(path, json) }) };
  }
  const name = basename(path);
  files[name] = new Uint8Array(await readFile(path));
  format = BY_EXTENSION[extname(path).toLowerCase()];
  if (format === "json") format = detectFormat(files) === "tfjs" ? "tfjs" : "json";
  if (format === "tfjs") {
    for (const n of await readdir(dirname(path))) if (n.endsWith(".bin")) files[n] = new Uint8Array(await readFile(join(dirname(path), n)));
  }
  return decodeModel(files, format, { ...options, file: options.file ?? path });
}
