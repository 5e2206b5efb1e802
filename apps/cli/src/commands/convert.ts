import { extname } from "node:path";
import type { Json } from "@backprop/linalg";
import { formatForExtension, modelFormats, type ModelFormat } from "@backprop/serialize";
import { cliError } from "../cli-error.js";
import { loadWithMetadata, requireMetadata, saveConverted, withNormalizationLayer } from "../model-file.js";

/** The formats `backprop convert` writes: every one `@backprop/serialize` has. */
export const FORMATS: readonly ModelFormat[] = modelFormats();
/** One of {@link FORMATS}. */
export type Format = ModelFormat;

/** The format for an output path: explicit `--to`, else by extension (.json, .safetensors, .onnx). */
export function formatFor(output: string, to: string | undefined): Format {
  if (to !== undefined) {
    if (!(FORMATS as readonly string[]).includes(to)) throw cliError(`--to: unknown format "${to}" (valid: ${FORMATS.join(", ")})`);
    return to as Format;
  }
  const ext = extname(output).toLowerCase();
  const format = formatForExtension(ext);
  if (format) return format;
  throw cliError(`${output}: cannot tell the format from the extension "${ext}"`, "INVALID_ARGUMENT", `pass --to ${FORMATS.join("|")}`);
}

/** Runs `backprop convert <input> <output>`: any readable model format to any writable one. */
export async function convert(input: string, output: string, o: { to?: string }, out: NodeJS.WritableStream): Promise<number> {
  const format = formatFor(output, o.to);
  const { model, meta, metadata, format: from } = await loadWithMetadata(input);
  // A file from before the Normalization layer keeps its scaling beside the model: move it into the
  // model, or the converted graph would silently answer raw inputs wrongly.
  const legacy = meta?.normalizer === undefined ? undefined : requireMetadata(input, meta).normalizer;
  let converted = model;
  let kept = metadata;
  if (legacy) {
    converted = withNormalizationLayer(model, legacy);
    const { normalizer: _moved, ...rest } = meta as NonNullable<typeof meta>;
    kept = { ...metadata, backpropCli: rest as unknown as Json };
  }
  const written = await saveConverted(converted, output, format, kept);
  out.write(`converted ${input} (${from}) → ${written.join(", ")} (${format})\n`);
  return 0;
}
