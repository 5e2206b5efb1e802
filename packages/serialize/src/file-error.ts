import { BackpropError, isBackpropError, type ErrorCode } from "@backprop/linalg";

/** Where a loader is: the file (when known) and the path inside it, for error messages. */
export interface FileLocation {
  /** Path or name of the file, e.g. `"model.json"`; omitted for in-memory input. */
  readonly file?: string | undefined;
}

/** `"model.json: layers[1].units"` or just the inner path. */
export function where(loc: FileLocation, inner: string): string {
  const prefix = loc.file === undefined ? "" : `${loc.file}: `;
  return `${prefix}${inner === "" ? "(root)" : inner}`;
}

/** An `INVALID_FILE` error naming the file and the path inside it. */
export function invalidFile(loc: FileLocation, inner: string, problem: string, hint?: string): BackpropError {
  return new BackpropError("INVALID_FILE", `${where(loc, inner)}: ${problem}`, hint === undefined ? {} : { hint });
}

const KEPT_CODES: ReadonlySet<ErrorCode> = new Set(["UNKNOWN_COMPONENT", "UNSUPPORTED_FORMAT_VERSION", "INVALID_FILE"]);

/**
 * Re-throws anything raised while turning file contents into objects as a {@link BackpropError}
 * naming the file and the path inside it. `UNKNOWN_COMPONENT` keeps its code (the caller may
 * register the component); everything else — including a stray `TypeError` from a component
 * factory fed a strange config — becomes `INVALID_FILE`.
 */
export function rethrowAt(loc: FileLocation, inner: string, error: unknown): never {
  if (isBackpropError(error)) {
    const already = loc.file !== undefined && error.message.startsWith(`${loc.file}: `);
    if (already) throw error;
    const code: ErrorCode = KEPT_CODES.has(error.code) ? error.code : "INVALID_FILE";
    const message = error.message.split("\nhelp: ")[0] ?? error.message;
    throw new BackpropError(code, `${where(loc, inner)}: ${message}`, {
      cause: error,
      ...(error.hint === undefined ? {} : { hint: error.hint }),
    });
  }
  const text = error instanceof Error ? error.message : String(error);
  throw new BackpropError("INVALID_FILE", `${where(loc, inner)}: ${text}`, { cause: error });
}

/** Runs `fn`, converting whatever it throws with {@link rethrowAt}. */
export function at<T>(loc: FileLocation, inner: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    return rethrowAt(loc, inner, error);
  }
}

/** `["layers", 1, "config"]` → `"layers[1].config"`. */
export function formatPath(keys: readonly (string | number)[]): string {
  let out = "";
  for (const key of keys) {
    if (typeof key === "number" || /^\d+$/.test(key)) out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}
