// Text for the generated markdown tables (CLI reference, error codes).

/** A table cell: no raw pipes or newlines. */
export const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/**
 * A table cell of prose: as {@link cell}, and outside code spans no `<` or `>`, because VitePress
 * compiles markdown as a Vue template, where `<unk>` would open an element.
 */
export const prose = (text: string): string =>
  cell(text)
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith("`") ? part : part.replace(/</g, "&lt;").replace(/>/g, "&gt;")))
    .join("");
