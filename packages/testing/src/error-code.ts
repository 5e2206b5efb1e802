import { isBackpropError } from "@backprop/linalg";

/**
 * The `code` of the BackpropError `fn` throws, `undefined` when it throws nothing, and a
 * `"not ours: …"` string for any other error — so a test of bad input asserts both that it fails
 * and that it fails with our typed error, in one `expect(errorCode(() => …)).toBe("SHAPE_MISMATCH")`.
 */
export function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isBackpropError(e) ? e.code : `not ours: ${String(e)}`;
  }
  return undefined;
}
