import { displayWidth, padToWidth } from "./display-width.js";

/**
 * Renders rows as an aligned plain-text table; the first row is the header, then a rule. Widths
 * are terminal columns ({@link displayWidth}: East Asian wide characters and emoji count 2), so
 * class names in Chinese, Japanese or Korean stay aligned.
 */
export function renderTable(rows: readonly (readonly string[])[], align: readonly ("left" | "right")[] = []): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => displayWidth(r[c] ?? "")))) ?? [];
  const fmt = (r: readonly string[]) =>
    r.map((cell, c) => padToWidth(cell, widths[c] ?? 0, align[c] ?? "left")).join("  ").trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const [header, ...body] = rows;
  return [fmt(header ?? []), rule, ...body.map(fmt)].join("\n");
}
