/**
 * East Asian Wide and Fullwidth ranges (Unicode UAX #11) outside `\p{Emoji_Presentation}`: what a
 * terminal draws two columns wide. Sorted, inclusive.
 */
const WIDE: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2329, 0x232a],
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK compatibility
  [0x3400, 0x4dbf], // CJK extension A
  [0x4e00, 0x9fff], // CJK unified ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo extended A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff], // Tangut
  [0x1b000, 0x1b2ff], // Kana supplement and extensions, Nushu
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK extensions B–F, compatibility supplement
  [0x30000, 0x3fffd], // CJK extension G and later
];

const EMOJI = /\p{Emoji_Presentation}/u;
/** Combining marks, format characters (zero-width joiner, direction marks) and controls: no column. */
const ZERO = /[\p{Mn}\p{Me}\p{Cf}\p{Cc}]/u;

function isWide(code: number): boolean {
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [start, end] = WIDE[mid] as readonly [number, number];
    if (code < start) hi = mid - 1;
    else if (code > end) lo = mid + 1;
    else return true;
  }
  return false;
}

/**
 * The columns `text` takes in a terminal: 2 per East Asian wide or fullwidth character (漢字,
 * ひらがな, 한글, Ｆｕｌｌ, most emoji), 0 per combining mark or control, 1 otherwise. `String.length`
 * counts UTF-16 units instead, so a table padded with it misaligns as soon as a cell is Chinese.
 * @example
 * ```ts
 * displayWidth("猫"); // 2
 * displayWidth("cat"); // 3
 * ```
 * @see https://www.unicode.org/reports/tr11/
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0) as number;
    if (code < 0x7f) width += code >= 0x20 ? 1 : 0;
    else if (ZERO.test(ch)) continue;
    else width += isWide(code) || EMOJI.test(ch) ? 2 : 1;
  }
  return width;
}

/** `text` padded with spaces to `width` terminal columns, on the left (`"right"` alignment) or right. */
export function padToWidth(text: string, width: number, align: "left" | "right" = "left"): string {
  const pad = " ".repeat(Math.max(0, width - displayWidth(text)));
  return align === "right" ? pad + text : text + pad;
}
