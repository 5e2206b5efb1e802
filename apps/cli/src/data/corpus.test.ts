import { describe, expect, it } from "vitest";
import { PARAGRAPH, UNK, buildVocabulary, detokenize, encode, readCorpus, textWindows, tokenize } from "./corpus.js";
import { messageOf } from "./error-of.test-util.js";

describe("tokens and vocabularies", () => {
  it("characters: every code point, the vocabulary sorted", () => {
    expect(tokenize("abca", "chars")).toEqual(["a", "b", "c", "a"]);
    expect(buildVocabulary(tokenize("hello\n", "chars"), "chars")).toEqual(["\n", "e", "h", "l", "o"]);
  });

  it("words: lower-cased words, punctuation marks, blank lines as paragraph breaks", () => {
    expect(tokenize("Oh dear! I shall be late.\n\nDown, down-hill, it's", "words")).toEqual([
      "oh", "dear", "!", "i", "shall", "be", "late", ".", PARAGRAPH, "down", ",", "down-hill", ",", "it's",
    ]);
  });

  it("a capped word vocabulary keeps the most frequent words; the rest become <unk>", () => {
    const tokens = tokenize("b a a c a b d", "words");
    const vocab = buildVocabulary(tokens, "words", 3);
    expect(vocab).toEqual([UNK, "a", "b"]);
    expect(encode(["a", "c", "d"], vocab)).toEqual([1, 0, 0]);
    expect(encode(["z"], ["x", "y"])).toEqual([undefined]);
  });

  it("words come back as readable text", () => {
    expect(detokenize(["oh", "dear", "!", "(", "she", "said", ")", PARAGRAPH, "then"], "words")).toBe("oh dear! (she said)\n\nthen");
  });

  it("training sequences: each step predicts the next id; none crosses `to`", () => {
    const w = textWindows([0, 1, 2, 3, 4, 5, 6], 0, 7, 3, 2);
    expect(w.count).toBe(2);
    expect(Array.from(w.x)).toEqual([0, 1, 2, 2, 3, 4]);
    expect(Array.from(w.y)).toEqual([1, 2, 3, 3, 4, 5]);
  });
});

describe("corpora", () => {
  it("alice: the vendored chapter, 11 252 characters of 62 kinds", () => {
    const { text } = readCorpus("alice");
    expect(text).toHaveLength(11_252);
    expect(new Set(text).size).toBe(62);
    expect(text.startsWith("CHAPTER I. Down the Rabbit-Hole\n\nAlice was beginning to get very tired")).toBe(true);
    expect(text.trimEnd().endsWith("So she set to work, and very soon finished off the cake.")).toBe(true);
  });

  it("a missing or empty corpus is an error naming the file", () => {
    expect(messageOf(() => readCorpus("no-such-corpus.txt"))).toMatch(/^INVALID_FILE no-such-corpus\.txt: no such file or built-in corpus/);
  });
});
