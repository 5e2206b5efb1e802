import type { FloatArray } from "@backprop/linalg";
import { expect } from "vitest";
import type { Activation } from "./activation.js";

/**
 * Asserts that `act`'s array kernels equal its scalar definitions bit for bit at `values`, on
 * Float64Array and Float32Array (rounded to float32 there): `apply` is `f` element by element,
 * `backward` is `grad·df`, and both give the same numbers in place (dst aliasing src or grad).
 */
export function expectKernelsMatchScalars(act: Activation, values: readonly number[]): void {
  for (const Ctor of [Float64Array, Float32Array]) {
    const round = Ctor === Float32Array ? Math.fround : (v: number) => v;
    const x: FloatArray = new Ctor(values);
    const y: FloatArray = new Ctor(x.length);
    const grad: FloatArray = new Ctor(values.map((_, i) => ((i % 5) - 2) * 0.75 + 0.1));
    const dx: FloatArray = new Ctor(x.length);
    act.apply(x, y);
    act.backward(x, y, grad, dx);
    for (let i = 0; i < x.length; i++) {
      const xi = x[i] as number;
      expect(Object.is(y[i], round(act.f(xi))), `${Ctor.name} f(${xi}): ${y[i]}`).toBe(true);
      const expected = round((grad[i] as number) * act.df(xi, y[i] as number));
      expect(Object.is(dx[i], expected), `${Ctor.name} df(${xi}): ${dx[i]} vs ${expected}`).toBe(true);
    }
    const inPlace = Ctor.from(x);
    act.apply(inPlace, inPlace);
    expect(Array.from(inPlace)).toEqual(Array.from(y));
    const gradInPlace = Ctor.from(grad);
    act.backward(x, y, gradInPlace, gradInPlace);
    expect(Array.from(gradInPlace)).toEqual(Array.from(dx));
  }
}
