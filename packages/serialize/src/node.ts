import { randomBytes } from "node:crypto";
import { readSync } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { BackpropError, type Json } from "@backprop/linalg";
import type { Sequential } from "@backprop/layers";
import { decodeModel } from "./codec.js";
import type { LoadOptions } from "./custom-components.js";
import { DEFAULT_FORMAT, detectFormat, FORMATS, formatForExtension, MAX_BINARY_BYTES, type ModelFormat } from "./format-info.js";
import { decodeNativeJson, encodeModelParts, formatSpec, type FileBytes, type FormatSpec } from "./formats.js";
import { readJsonFrom } from "./json-reader.js";
import { isWeightData, MAX_JSON_BYTES, tooLargeProblem } from "./safe-json.js";
import type { ToJSONOptions } from "./model-file.js";

export type { FileBytes };

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
 * a reader sees the old file or the whole new one — never half of it. `bytes` may be a list of
 * chunks, written one after the other (a large model file is never joined into one array).
 * @example
 * ```ts
 * await writeFileAtomic("model.json", bytes);
 * ```
 */
export async function writeFileAtomic(path: string, bytes: FileBytes): Promise<void> {
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
  const files = encodeModelParts(model, options, format);
  if (spec?.directory === true) {
    await mkdir(path, { recursive: true });
    // The main file last, so it never points at files not written yet.
    const names = Object.keys(files).sort((a, b) => Number(a.endsWith(spec.mainFile)) - Number(b.endsWith(spec.mainFile)));
    const written: string[] = [];
    for (const name of names) {
      const target = join(path, name);
      await writeFileAtomic(target, files[name] as FileBytes);
      written.push(target);
    }
    return written;
  }
  await mkdir(dirname(path), { recursive: true });
  const bytes = Object.values(files)[0] as FileBytes;
  await writeFileAtomic(path, bytes);
  return [path];
}

/** Adds the files that belong with `main` in `dir` (TF.js weight shards), when its format has any. */
async function addCompanions(files: Record<string, Uint8Array>, dir: string, spec: FormatSpec | undefined, mainPath: string): Promise<void> {
  const companion = spec?.companion;
  if (companion === undefined) return;
  const names = (await readdir(dir)).filter((n) => companion(n) && !(n in files));
  let total = 0;
  for (const n of names) total += (await stat(join(dir, n))).size;
  if (total > MAX_BINARY_BYTES) throw tooLarge(mainPath, total, MAX_BINARY_BYTES, `the weight files beside it (${names.length})`);
  for (const n of names) files[n] = await readBytes(join(dir, n));
}

function tooLarge(path: string, size: number, limit: number, what: string): BackpropError {
  const hint =
    limit === MAX_JSON_BYTES
      ? "a JSON model file spends ~18 bytes a number: save large models as safetensors (a .safetensors path; 4 bytes a float32 weight)"
      : "Node reads at most 2 GiB into one buffer; a model this large needs another way to load";
  return new BackpropError("INVALID_FILE", `${path}: ${tooLargeProblem(size, limit, what)}`, { hint });
}

/** The first bytes of a file, to tell its format before reading it whole. */
async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, "r");
  try {
    const head = new Uint8Array(length);
    const { bytesRead } = await handle.read(head, 0, length, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * A native JSON model file parsed as it is read, 4 MiB at a time: the file is never in memory
 * whole (the parse is synchronous, like `JSON.parse` of its text would be).
 */
async function decodeJsonFile(path: string, options: LoadOptions): Promise<{ model: Sequential; metadata: Record<string, Json> }> {
  const handle = await open(path, "r");
  try {
    let position = 0;
    const value = readJsonFrom((buffer, offset, length) => {
      const got = readSync(handle.fd, buffer, offset, length, position);
      position += got;
      return got;
    }, { file: options.file }, { floatArrayAt: isWeightData });
    return decodeNativeJson(value, options);
  } finally {
    await handle.close();
  }
}

/** Reads a file of at most `limit` bytes, refusing a larger one before reading it. */
async function readLimited(path: string, size: number, limit: number, what: string): Promise<Uint8Array> {
  if (size > limit) throw tooLarge(path, size, limit, what);
  return readBytes(path);
}

/** A file's bytes as a plain Uint8Array view of the Buffer read (`new Uint8Array(buffer)` would copy them). */
async function readBytes(path: string): Promise<Uint8Array> {
  const buffer = await readFile(path);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * Loads a model saved in any supported format: a directory (TF.js: `model.json` + its weight
 * files), or a file whose format is taken from the extension, else from its first bytes. A file
 * larger than its format's loader reads ({@link MAX_JSON_BYTES} for JSON, 2 GiB − 1 for binary
 * files) is refused from its size, before it is read.
 *
 * @throws BackpropError `INVALID_FILE` naming the file and the path inside it (or the file's size
 *   and the limit); `UNSUPPORTED_FORMAT_VERSION`; `UNKNOWN_COMPONENT`
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
    const mainPath = join(path, main);
    files[main] = await readLimited(mainPath, (await stat(mainPath)).size, MAX_JSON_BYTES, "a JSON file");
    const format = detectFormat(files);
    await addCompanions(files, path, formatSpec(format), mainPath);
    return decodeModel(files, format, { ...options, file: options.file ?? mainPath });
  }
  // Names first (.onnx, .safetensors), then contents: a .json may be native or TF.js' model.json.
  const name = basename(path);
  const format = detectFormat({ [name]: await readHead(path, 4096) });
  const spec = formatSpec(format) as FormatSpec;
  if (info.size > spec.maxBytes) throw tooLarge(path, info.size, spec.maxBytes, `a ${format} model file`);
  if (format === "json") return { ...(await decodeJsonFile(path, { ...options, file: options.file ?? path })), format };
  files[name] = await readBytes(path);
  await addCompanions(files, dirname(path), spec, path);
  return decodeModel(files, format, { ...options, file: options.file ?? path });
}
