import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BackpropError } from "@backprop/linalg";

/** How a corpus is cut into tokens: single characters, or lower-cased words and punctuation marks. */
export type TokenKind = "chars" | "words";

/** The token that stands for every word outside the vocabulary (word-level models only). */
export const UNK = "<unk>";

/** The paragraph-break token of word-level models (a blank line in the text). */
export const PARAGRAPH = "\n";

/** Source and licence of the built-in `alice` corpus. */
export const ALICE_LICENSE =
  "Lewis Carroll (1865), Alice's Adventures in Wonderland, Chapter I, from Project Gutenberg eBook #11 (quotes made ASCII); public domain; see data/alice/ATTRIBUTION.md";

/** Built-in text corpora: name → vendored file under `apps/cli/data/`, and a description. */
export const CORPORA: Readonly<Record<string, { file: string; description: string; license: string; chars: number }>> = {
  alice: {
    file: join("data", "alice", "alice-chapter-1.txt"),
    description: "Alice's Adventures in Wonderland, chapter I (11 252 characters, 62 distinct)",
    license: ALICE_LICENSE,
    chars: 11_252,
  },
};

/** Finds a vendored file by walking up from this module (`src/data/` in tests, `dist/` when bundled). */
function findVendored(name: string, relative: string): string {
  const tried: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    tried.push(candidate);
    dir = dirname(dir);
  }
  throw new BackpropError("INVALID_FILE", `${name}: the data file ${relative} is missing (looked in ${tried.join(", ")})`, {
    hint: "reinstall the CLI; the file is part of the package",
  });
}

/**
 * The text of a corpus: a built-in name (see {@link CORPORA}) or a UTF-8 file; CRLF line ends
 * become LF.
 * @throws BackpropError `INVALID_FILE` for a missing, unreadable or empty (whitespace-only) file
 */
export function readCorpus(source: string): { text: string; name: string } {
  const builtin = CORPORA[source];
  const path = builtin && !existsSync(source) ? findVendored(source, builtin.file) : source;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BackpropError(
      "INVALID_FILE",
      code === "ENOENT" ? `${source}: no such file or built-in corpus` : code === "EISDIR" ? `${source}: is a directory, expected a text file` : `${source}: cannot be read (${code ?? String(error)})`,
      code === "ENOENT" ? { hint: `built-in corpora: ${Object.keys(CORPORA).join(", ")}` } : {},
    );
  }
  text = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  if (text.trim() === "") throw new BackpropError("INVALID_FILE", `${source}: the corpus is empty (nothing to learn from)`);
  return { text, name: source };
}

const WORD = /\n[^\S\n]*\n\s*|[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu;

/**
 * Cuts text into tokens: every character (code point) for `"chars"`; for `"words"`, lower-cased
 * words (letters and digits, with inner apostrophes and hyphens), single punctuation marks, and
 * {@link PARAGRAPH} for each blank line. Other whitespace separates words and is dropped.
 */
export function tokenize(text: string, kind: TokenKind): string[] {
  if (kind === "chars") return Array.from(text);
  return Array.from(text.matchAll(WORD), (m) => (m[0].startsWith("\n") ? PARAGRAPH : m[0].toLowerCase()));
}

/**
 * The vocabulary of a token list: the sorted distinct characters; or, for words, {@link UNK} first,
 * then the `size − 1` most frequent words (ties: the one seen first), so rare words become UNK.
 */
export function buildVocabulary(tokens: readonly string[], kind: TokenKind, size?: number): string[] {
  if (kind === "chars") return [...new Set(tokens)].sort();
  const counts = new Map<string, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  counts.delete(UNK);
  // NOTE: a Map iterates in first-seen order and sort is stable, so ties keep that order.
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([w]) => w);
  return [UNK, ...ranked.slice(0, size === undefined ? ranked.length : Math.max(0, size - 1))];
}

/** Token ids; tokens outside the vocabulary map to {@link UNK} (word-level) or `undefined` (an error for the caller). */
export function encode(tokens: readonly string[], vocab: readonly string[]): (number | undefined)[] {
  const index = new Map(vocab.map((t, i) => [t, i]));
  const unk = index.get(UNK);
  return tokens.map((t) => index.get(t) ?? unk);
}

const NO_SPACE_BEFORE = new Set([".", ",", ";", ":", "!", "?", ")", "]", "}", "'", "’", PARAGRAPH]);
const NO_SPACE_AFTER = new Set(["(", "[", "{", PARAGRAPH]);

/**
 * The text to write for `token` after `previous`: characters as they are; words with a space
 * before them unless punctuation or a line break makes one wrong, a paragraph break as a blank line.
 */
export function joinToken(previous: string | undefined, token: string, kind: TokenKind): string {
  if (kind === "chars") return token;
  const text = token === PARAGRAPH ? "\n\n" : token;
  if (previous === undefined || NO_SPACE_BEFORE.has(token) || NO_SPACE_AFTER.has(previous)) return text;
  return ` ${text}`;
}

/** Tokens back to text (see {@link joinToken}). */
export function detokenize(tokens: readonly string[], kind: TokenKind): string {
  let out = "";
  tokens.forEach((t, i) => (out += joinToken(tokens[i - 1], t, kind)));
  return out;
}

/**
 * Training sequences over token ids: windows of `length + 1` ids starting every `step` ids, the
 * input being the first `length` and the target each next id (`x[t]` predicts `y[t] = ids[t+1]`).
 */
export function textWindows(ids: readonly number[], from: number, to: number, length: number, step: number): { x: Float64Array; y: Float64Array; count: number } {
  const starts: number[] = [];
  for (let s = from; s + length + 1 <= to; s += step) starts.push(s);
  const x = new Float64Array(starts.length * length);
  const y = new Float64Array(starts.length * length);
  starts.forEach((s, i) => {
    for (let t = 0; t < length; t++) {
      x[i * length + t] = ids[s + t] as number;
      y[i * length + t] = ids[s + t + 1] as number;
    }
  });
  return { x, y, count: starts.length };
}
