/** Renders rows as an aligned plain-text table; the first row is the header. */
export function renderTable(rows: readonly (readonly string[])[], align: readonly ("left" | "right")[] = []): string {
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? "").length))) ?? [];
  const fmt = (r: readonly string[]) =>
    r
      .map((cell, c) => (align[c] === "right" ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "─".repeat(w)).join("  ");
  const [header, ...body] = rows;
  return [fmt(header ?? []), rule, ...body.map(fmt)].join("\n");
}
