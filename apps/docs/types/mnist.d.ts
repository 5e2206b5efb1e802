// The `mnist` package (MNIST digits as JSON, no types of its own): what the examples use of it.
declare module "mnist" {
  /** One digit's images: `set(first, last)` gives images first…last (inclusive), each with its one-hot label. */
  interface Digit {
    readonly id: number;
    readonly length: number;
    set(first: number, last: number): { input: number[]; output: number[] }[];
  }
  const digits: readonly Digit[];
  export default digits;
}
