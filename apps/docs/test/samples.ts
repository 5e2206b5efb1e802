import { afterAll, beforeAll, expect, vi } from "vitest";

/**
 * Silences what the samples print (each sample logs what it shows) for the test file that calls
 * it, at its top level: the test output stays readable.
 */
export function quietSamples(methods: readonly ("log" | "table")[] = ["log"]): void {
  beforeAll(() => {
    for (const method of methods) vi.spyOn(console, method).mockImplementation(() => undefined);
  });
  afterAll(() => {
    vi.restoreAllMocks();
  });
}

/** The largest |a[i] − b[i]|, after checking the lengths agree. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}
