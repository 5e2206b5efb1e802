import { isBackpropError } from "@backprop/linalg";

/** The code and message of the BackpropError `f` throws; fails the test if it throws nothing or another error. */
export function errorOf(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (error) {
    if (isBackpropError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("expected a BackpropError");
}

/** `"<code> <message>"` of the BackpropError `f` throws (see {@link errorOf}). */
export function messageOf(f: () => unknown): string {
  const { code, message } = errorOf(f);
  return `${code} ${message}`;
}
