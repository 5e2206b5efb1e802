import { Rng } from "@backprop/linalg";

/** Source and licence of {@link airlineCsv}. */
export const AIRLINE_LICENSE =
  "Box & Jenkins (1976), Time Series Analysis: Forecasting and Control, Series G (from Brown 1963); a published table of facts, public domain; also R's datasets::AirPassengers";

/**
 * Monthly totals of international airline passengers, in thousands, January 1949 to December 1960
 * (144 months): the classic "airline" series, with a trend and a yearly season that grows with it.
 *
 * NOTE: typed from the published table and checked against several independent copies; the sum
 * is 40 363 (mean 280.30), min 104 (November 1949), max 622 (July 1960) — a test pins these.
 *
 * @see G. E. P. Box, G. M. Jenkins (1976), Time Series Analysis: Forecasting and Control, Series G
 */
export const AIRLINE_PASSENGERS: readonly number[] = [
  112, 118, 132, 129, 121, 135, 148, 148, 136, 119, 104, 118, // 1949
  115, 126, 141, 135, 125, 149, 170, 170, 158, 133, 114, 140, // 1950
  145, 150, 178, 163, 172, 178, 199, 199, 184, 162, 146, 166, // 1951
  171, 180, 193, 181, 183, 218, 230, 242, 209, 191, 172, 194, // 1952
  196, 196, 236, 235, 229, 243, 264, 272, 237, 211, 180, 201, // 1953
  204, 188, 235, 227, 234, 264, 302, 293, 259, 229, 203, 229, // 1954
  242, 233, 267, 269, 270, 315, 364, 347, 312, 274, 237, 278, // 1955
  284, 277, 317, 313, 318, 374, 413, 405, 355, 306, 271, 306, // 1956
  315, 301, 356, 348, 355, 422, 465, 467, 404, 347, 305, 336, // 1957
  340, 318, 362, 348, 363, 435, 491, 505, 404, 359, 310, 337, // 1958
  360, 342, 406, 396, 420, 472, 548, 559, 463, 407, 362, 405, // 1959
  417, 391, 419, 461, 472, 535, 622, 606, 508, 461, 390, 432, // 1960
];

/** The airline series as CSV text: `month,passengers`, months as `1949-01` … `1960-12`. */
export function airlineCsv(): string {
  const lines = AIRLINE_PASSENGERS.map((v, i) => `${1949 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, "0")},${v}`);
  return `month,passengers\n${lines.join("\n")}\n`;
}

/** Default length of {@link sineCsv}. */
export const SINE_SAMPLES = 400;

/**
 * A generated series: `y = sin(2πt/25) + 0.5·sin(2πt/70) + noise` for t = 0…samples−1, with
 * Gaussian noise of standard deviation `noise` (default 0.1) drawn from `seed`: same seed, same series.
 */
export function sineCsv(options: { seed: number; samples?: number; noise?: number }): string {
  const { seed, samples = SINE_SAMPLES, noise = 0.1 } = options;
  const rng = new Rng(seed);
  const lines: string[] = [];
  for (let t = 0; t < samples; t++) {
    const y = Math.sin((2 * Math.PI * t) / 25) + 0.5 * Math.sin((2 * Math.PI * t) / 70) + rng.normal(0, noise);
    lines.push(`${t},${y.toFixed(6)}`);
  }
  return `t,y\n${lines.join("\n")}\n`;
}
