/**
 * Machine-readable reason carried by every {@link BackpropError}.
 *
 * The codes are part of the public contract: callers (the CLI, the demo) switch on them,
 * so a code is never renamed, only added.
 */
export type ErrorCode =
  | "SHAPE_MISMATCH"
  | "INVALID_ARGUMENT"
  | "INVALID_CONFIG"
  | "UNKNOWN_COMPONENT"
  | "DUPLICATE_COMPONENT"
  | "NON_FINITE"
  | "INVALID_STATE"
  | "INVALID_FILE"
  | "UNSUPPORTED_FORMAT_VERSION"
  | "NOT_COMPILED"
  | "NOT_BUILT";

/** Options accepted by the {@link BackpropError} constructor. */
export interface BackpropErrorOptions {
  /** The underlying error, if this one wraps another. */
  readonly cause?: unknown;
  /** A second line telling the user what to do about it (printed as `help: …`). */
  readonly hint?: string;
}

const ERROR_NAME = "BackpropError";

/**
 * The one error class every Backprop package throws for bad input or bad state.
 *
 * Messages follow `"<where>: <problem> (got X, expected Y)"`, and an optional hint
 * tells the user how to fix it.
 *
 * @example
 * ```ts
 * try { matmul(a, b, out); } catch (e) {
 *   if (isBackpropError(e) && e.code === "SHAPE_MISMATCH") console.error(e.message);
 * }
 * ```
 */
export class BackpropError extends Error {
  /** Why it failed, for programs. */
  readonly code: ErrorCode;
  /** What to do about it, for people; also appended to `message` as `help: …`. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: BackpropErrorOptions = {}) {
    super(options.hint ? `${message}\nhelp: ${options.hint}` : message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    // NOTE: a string literal, not constructor.name, so minified bundles and a second copy of
    // the package (two versions in one node_modules) still agree on what this error is.
    this.name = ERROR_NAME;
  }
}

/**
 * Thrown when two operands do not fit together; the message names both shapes.
 */
export class ShapeMismatchError extends BackpropError {
  constructor(message: string, options: BackpropErrorOptions = {}) {
    super("SHAPE_MISMATCH", message, options);
  }
}

/**
 * True for any error thrown by a Backprop package, even one from another copy of the package
 * (it checks the name and code, not the class identity).
 */
export function isBackpropError(value: unknown): value is BackpropError {
  return (
    value instanceof Error &&
    value.name === ERROR_NAME &&
    typeof (value as { code?: unknown }).code === "string"
  );
}
