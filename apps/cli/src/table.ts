import { renderWideTable } from "./display-width.js";

/**
 * Renders rows as an aligned plain-text table; the first row is the header. Widths are terminal
 * columns (East Asian wide characters and emoji count 2), so CJK names line up.
 */
export const renderTable = renderWideTable;
