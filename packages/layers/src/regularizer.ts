import { BackpropError, type JsonObject, type Matrix } from "@backprop/linalg";

/**
 * An L1/L2 weight penalty, `l1·Σ|w| + l2·Σw²` (Keras' `L1L2`), added to the loss; its gradient
 * `l1·sign(w) + 2·l2·w` is added to the parameter's gradient.
 */
export interface RegularizerConfig {
  /** L1 factor, default 0. */
  readonly l1?: number;
  /** L2 factor, default 0. */
  readonly l2?: number;
}

/** A validated {@link RegularizerConfig}. */
export interface Regularizer {
  readonly l1: number;
  readonly l2: number;
}

/** Validates a regularizer config; `undefined` means none. */
export function makeRegularizer(where: string, config: RegularizerConfig | null | undefined): Regularizer | undefined {
  if (config === undefined || config === null) return undefined;
  if (typeof config !== "object" || config === null) {
    throw new BackpropError("INVALID_CONFIG", `${where}: expected { l1?, l2 } (got ${JSON.stringify(config)})`);
  }
  const l1 = config.l1 ?? 0;
  const l2 = config.l2 ?? 0;
  for (const [key, value] of [["l1", l1], ["l2", l2]] as const) {
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new BackpropError(
        "INVALID_CONFIG",
        `${where}.${key}: must be a finite number ≥ 0 (got ${JSON.stringify(value)})`,
      );
    }
  }
  return l1 === 0 && l2 === 0 ? undefined : { l1, l2 };
}

/** The penalty of `w`. */
export function regularizerPenalty(r: Regularizer, w: Matrix): number {
  const d = w.data;
  let abs = 0;
  let sq = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    abs += Math.abs(v);
    sq += v * v;
  }
  return r.l1 * abs + r.l2 * sq;
}

/** Adds the penalty's gradient at `w` to `grad`. */
export function addRegularizerGradient(r: Regularizer, w: Matrix, grad: Matrix): void {
  const wd = w.data;
  const gd = grad.data;
  const { l1, l2 } = r;
  for (let i = 0; i < wd.length; i++) {
    const v = wd[i] as number;
    gd[i] = (gd[i] as number) + l1 * Math.sign(v) + 2 * l2 * v;
  }
}

/** The JSON form of a regularizer (or null). */
export function regularizerConfig(r: Regularizer | undefined): JsonObject | null {
  return r ? { l1: r.l1, l2: r.l2 } : null;
}
