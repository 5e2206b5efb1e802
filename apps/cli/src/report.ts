import { Matrix, argmaxRows } from "@backprop/linalg";
import { renderTable } from "./table.js";

/** Classification results: accuracy and the confusion matrix (rows = true class, columns = predicted). */
export interface ClassificationReport {
  readonly kind: "classification";
  readonly accuracy: number;
  readonly confusion: number[][];
  readonly classes: string[];
}

/** Regression results. */
export interface RegressionReport {
  readonly kind: "regression";
  readonly mse: number;
  readonly mae: number;
  /** Coefficient of determination, 1 − SS_res/SS_tot (NaN when the targets are constant). */
  readonly r2: number;
}

/** Scores predictions against targets: one-hot classification or real-valued regression. */
export function scorePredictions(
  pred: Matrix,
  target: Matrix,
  task: "classification" | "regression",
  classes: string[] = [],
): ClassificationReport | RegressionReport {
  if (task === "classification") {
    const k = Math.max(classes.length, target.cols);
    // A single sigmoid output (binary cross-entropy): class 1 when p ≥ 0.5.
    const predicted = pred.cols === 1 ? Int32Array.from(pred.data, (p) => (p >= 0.5 ? 1 : 0)) : argmaxRows(pred);
    const actual = target.cols === 1 ? Int32Array.from(target.data, (t) => Math.round(t)) : argmaxRows(target);
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    let correct = 0;
    for (let i = 0; i < pred.rows; i++) {
      const a = actual[i] as number;
      const p = predicted[i] as number;
      if (a === p) correct++;
      const row = confusion[a];
      if (row) row[p] = (row[p] ?? 0) + 1;
    }
    return { kind: "classification", accuracy: pred.rows > 0 ? correct / pred.rows : Number.NaN, confusion, classes: classes.length ? classes : Array.from({ length: k }, (_, i) => String(i)) };
  }
  let se = 0;
  let ae = 0;
  let mean = 0;
  const n = target.data.length;
  for (let i = 0; i < n; i++) mean += target.data[i] as number;
  mean /= n;
  let ssTot = 0;
  for (let i = 0; i < n; i++) {
    const d = (pred.data[i] as number) - (target.data[i] as number);
    se += d * d;
    ae += Math.abs(d);
    const t = (target.data[i] as number) - mean;
    ssTot += t * t;
  }
  return { kind: "regression", mse: se / n, mae: ae / n, r2: ssTot > 0 ? 1 - se / ssTot : Number.NaN };
}

/**
 * The report as text: metrics, and the confusion matrix for classification, aligned in terminal
 * columns (a class named 猫 takes two).
 */
export function renderReport(report: ClassificationReport | RegressionReport, loss?: number): string {
  const head = loss === undefined ? [] : [`loss      ${loss.toFixed(6)}`];
  if (report.kind === "regression") {
    return [...head, `MSE       ${report.mse.toFixed(6)}`, `MAE       ${report.mae.toFixed(6)}`, `R²        ${report.r2.toFixed(6)}`].join("\n");
  }
  const rows = [["true \\ predicted", ...report.classes], ...report.confusion.map((r, i) => [report.classes[i] ?? String(i), ...r.map(String)])];
  return [...head, `accuracy  ${(report.accuracy * 100).toFixed(2)}%`, "", "confusion matrix:", renderTable(rows, ["left", ...report.classes.map(() => "right" as const)])].join("\n");
}
