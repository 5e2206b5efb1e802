import type { Json } from "@backprop/linalg";
import { FORMAT_VERSION } from "./schema.js";

/**
 * Upgrades a file of version `n` to version `n + 1`, keyed by `n`. Each step is a pure function of
 * plain JSON; loading runs the chain from the file's version up to {@link FORMAT_VERSION}.
 * Version 1 is the first published one, so the chain is empty for now; a change of layout adds
 * one entry here and a frozen fixture of the old version under `fixtures/`.
 */
export const MIGRATIONS: Readonly<Record<number, (file: { readonly [key: string]: Json }) => { readonly [key: string]: Json }>> = {};

/** Runs the migrations from `version` to the current one. */
export function migrate(file: { readonly [key: string]: Json }, version: number): { readonly [key: string]: Json } {
  let current = file;
  for (let n = version; n < FORMAT_VERSION; n++) {
    const step = MIGRATIONS[n];
    if (step === undefined) throw new Error(`no migration from format version ${n}`);
    current = step(current);
  }
  return current;
}
