import { Rng } from "@backprop/linalg";
import { cliError } from "../cli-error.js";
import { UNK, encode, joinToken, tokenize } from "../data/corpus.js";
import { loadWithMetadata, requireText, type TextMetadata } from "../model-file.js";
import { TokenStepper, sampleToken } from "../recurrent.js";

/** Options of `backprop generate`. */
export interface GenerateOptions {
  readonly prompt: string;
  readonly length: number;
  readonly temperature: number;
  readonly seed: number;
}

/**
 * Text after `promptIds`, one piece per sampled token, as it is sampled: the prompt runs through
 * the network once, then each new token is one step from the carried recurrent states.
 */
export function* generatePieces(stepper: TokenStepper, text: TextMetadata, promptIds: readonly number[], length: number, temperature: number, rng: Rng): Generator<string, void, void> {
  stepper.reset();
  let probs = stepper.feed(promptIds);
  let previous = text.vocab[promptIds[promptIds.length - 1] as number];
  for (let i = 0; i < length; i++) {
    const id = sampleToken(probs, temperature, rng);
    const token = text.vocab[id] as string;
    yield joinToken(previous, token, text.tokens);
    previous = token;
    if (i + 1 < length) probs = stepper.feed([id]);
  }
}

/**
 * The prompt as token ids: every character must be in a character model's vocabulary; words
 * outside a word model's vocabulary become `<unk>` (counted in `unknown`).
 * @throws BackpropError `INVALID_ARGUMENT` naming the first unknown character and its position
 */
export function promptIds(prompt: string, text: TextMetadata, modelPath: string): { ids: number[]; unknown: string[] } {
  const tokens = prompt === "" ? [text.start] : tokenize(prompt, text.tokens);
  if (tokens.length === 0) return { ids: encode([text.start], text.vocab) as number[], unknown: [] };
  const ids = encode(tokens, text.vocab);
  const bad = ids.findIndex((id) => id === undefined);
  if (bad >= 0) {
    const shown = text.vocab.length <= 100 ? `: ${JSON.stringify(text.vocab.join(""))}` : "";
    throw cliError(
      `--prompt: character ${JSON.stringify(tokens[bad])} at position ${bad + 1} is not in the vocabulary of ${modelPath} (${text.vocab.length} characters${shown})`,
      "INVALID_ARGUMENT",
      "a character model only knows the characters of its corpus; rephrase the prompt",
    );
  }
  const unk = text.vocab.indexOf(UNK);
  const unknown = text.tokens === "words" ? tokens.filter((t, i) => ids[i] === unk && t !== UNK) : [];
  return { ids: ids as number[], unknown };
}

/**
 * Runs `backprop generate <model>`: writes the prompt, then each sampled token as soon as it is
 * drawn (giving the event loop a turn so a pipe sees it at once). Same seed, same text;
 * temperature 0 is greedy.
 */
export async function generate(modelPath: string, o: GenerateOptions, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { model, meta: maybe } = await loadWithMetadata(modelPath);
  const meta = requireText(modelPath, maybe);
  const text = meta.text;
  if (!Number.isFinite(o.temperature) || o.temperature < 0) throw cliError(`--temperature: must be a number ≥ 0 (got ${o.temperature}); 0 is greedy`);
  const { ids, unknown } = promptIds(o.prompt, text, modelPath);
  if (unknown.length > 0) err.write(`backprop: note: ${unknown.length} prompt word${unknown.length > 1 ? "s" : ""} not in the vocabulary, read as ${UNK}: ${[...new Set(unknown)].slice(0, 5).map((w) => JSON.stringify(w)).join(", ")}\n`);
  const stepper = new TokenStepper(model, modelPath);
  let broken = false;
  out.once("error", () => (broken = true)); // e.g. `| head` closed the pipe: stop quietly
  out.write(o.prompt === "" ? joinToken(undefined, text.start, text.tokens) : o.prompt);
  for (const piece of generatePieces(stepper, text, ids, o.length, o.temperature, new Rng(o.seed))) {
    if (broken) break;
    out.write(piece);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  if (!broken) out.write("\n");
  return 0;
}
