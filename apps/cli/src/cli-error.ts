import { BackpropError, type ErrorCode } from "@backprop/linalg";

/**
 * An error the CLI reports as one line on stderr with a non-zero exit code (no stack trace
 * unless --debug). Library errors (BackpropError) are reported the same way.
 */
export function cliError(message: string, code: ErrorCode = "INVALID_ARGUMENT", hint?: string): BackpropError {
  return new BackpropError(code, message, hint ? { hint } : {});
}

/**
 * Exit codes: 1 for bad input or a failed run, 2 for usage errors (commander's), and the shell's
 * 128 + signal number after a training run was stopped by a signal: 130 after Ctrl-C (SIGINT), 143
 * after SIGTERM (`docker stop`, `timeout`, systemd).
 */
export const EXIT = { failure: 1, usage: 2, interrupted: 130, terminated: 143 } as const;
