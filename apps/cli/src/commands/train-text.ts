import { Dense, Embedding, Sequential, type Callback } from "@backprop/layers";
import { Rng, Tensor, isBackpropError, type DType } from "@backprop/linalg";
import { getOptimizer, optimizerNames } from "@backprop/optimizers";
import { lossChart } from "../chart.js";
import { cliError } from "../cli-error.js";
import { buildVocabulary, encode, joinToken, readCorpus, textWindows, tokenize, type TokenKind } from "../data/corpus.js";
import { fitWithCheckpoints } from "../fit-run.js";
import { saveWithMetadata, type CliMetadata, type TextMetadata } from "../model-file.js";
import { checkOutputPath } from "../output-path.js";
import { progressMode } from "../progress.js";
import { TokenStepper, pickCell, recurrentLayer } from "../recurrent.js";
import { generatePieces } from "./generate.js";

/** The word vocabulary's size when `--vocab-size` is not given (`<unk>` included). */
export const DEFAULT_VOCAB_SIZE = 2000;

/** Flags of `backprop train-text`. */
export interface TrainTextOptions {
  tokens: TokenKind;
  /** Words only: the vocabulary cap, `<unk>` included (default {@link DEFAULT_VOCAB_SIZE}). */
  vocabSize?: number;
  seqLength: number;
  /** Tokens between sequence starts; default a quarter of `seqLength` (overlapping sequences). */
  step?: number;
  model: string;
  cell?: string;
  units: number;
  layers: number;
  embeddingDim: number;
  optimizer: string;
  lr?: number;
  clipNorm: number;
  epochs: number;
  batchSize: number;
  seed: number;
  validationSplit: number;
  dtype: DType;
  shuffle: boolean;
  sampleEvery: number;
  sampleLength?: number;
  temperature: number;
  save?: string;
  checkpointEvery?: number;
  quiet: boolean;
  json: boolean;
}

/**
 * Runs `backprop train-text <corpus>`: a character- (or word-) level language model, Embedding →
 * recurrent layers (every step's output) → Dense softmax over the vocabulary, trained to predict
 * the next token at every step (sparse categorical cross-entropy on `[batch, time, 1]` targets).
 * The last `validationSplit` of the text is held out. Prints a sample after every `sampleEvery`
 * epochs. Resolves to the exit code.
 */
export async function trainText(source: string, o: TrainTextOptions, io: { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream }): Promise<number> {
  const say = (text: string) => {
    if (!o.quiet && !o.json) io.stdout.write(`${text}\n`);
  };
  // Before any work: a long run must not end unable to save.
  if (o.save !== undefined) checkOutputPath(o.save, "--save");
  if (o.checkpointEvery !== undefined && o.save === undefined) throw cliError("--checkpoint-every needs --save <path> (checkpoints are written there)");
  const cell = pickCell(o.model, o.cell);
  if (o.tokens === "chars" && o.vocabSize !== undefined) {
    throw cliError("--vocab-size: applies to --tokens words (a character model keeps every character of the corpus)");
  }
  let optimizer;
  try {
    optimizer = getOptimizer(o.optimizer, { ...(o.lr === undefined ? {} : { lr: o.lr }), clipNorm: o.clipNorm });
  } catch (error) {
    if (isBackpropError(error) && error.code === "UNKNOWN_COMPONENT") throw cliError(`--optimizer: unknown optimizer "${o.optimizer}" (valid: ${optimizerNames().join(", ")})`);
    throw error;
  }
  const corpus = readCorpus(source);
  const tokens = tokenize(corpus.text, o.tokens);
  const vocab = buildVocabulary(tokens, o.tokens, o.tokens === "words" ? (o.vocabSize ?? DEFAULT_VOCAB_SIZE) : undefined);
  const ids = encode(tokens, vocab) as number[];
  const L = o.seqLength;
  const step = o.step ?? Math.ceil(L / 4);
  const unit = o.tokens === "chars" ? "characters" : "tokens";
  if (tokens.length < L + 1) {
    throw cliError(`${source}: has ${tokens.length} ${unit}, fewer than one training sequence (--seq-length ${L} + 1)`, "INVALID_ARGUMENT", `use a --seq-length below ${Math.max(1, tokens.length - 1)}`);
  }
  // The last part of the text validates: no sequence crosses the cut.
  const held = o.validationSplit > 0 ? Math.round(tokens.length * o.validationSplit) : 0;
  const cut = tokens.length - held;
  const trainPart = textWindows(ids, 0, cut, L, step);
  const valPart = held > L ? textWindows(ids, cut, tokens.length, L, step) : undefined;
  if (trainPart.count === 0) throw cliError(`${source}: --validation-split ${o.validationSplit} leaves ${cut} ${unit} for training, fewer than one sequence (--seq-length ${L} + 1)`);
  if (o.validationSplit > 0 && (!valPart || valPart.count === 0)) {
    throw cliError(`${source}: --validation-split ${o.validationSplit} holds out ${held} ${unit}, fewer than one sequence (--seq-length ${L} + 1)`, "INVALID_ARGUMENT", "use a larger --validation-split, a shorter --seq-length, or --validation-split 0");
  }
  const V = vocab.length;
  const layers = [
    new Embedding({ inputDim: V, outputDim: o.embeddingDim, inputShape: [L] }),
    ...Array.from({ length: o.layers }, () => recurrentLayer(cell, o.units, true)),
    new Dense({ units: V, activation: "softmax" }),
  ];
  const net = new Sequential(layers, { seed: o.seed, dtype: o.dtype });
  net.build([L]);
  net.compile({ loss: "sparseCategoricalCrossentropy", optimizer, metrics: ["sparseCategoricalAccuracy"] });
  const tensors = (part: { x: Float64Array; y: Float64Array; count: number }): [Tensor, Tensor] => [
    Tensor.fromFlat([part.count, L], part.x, o.dtype),
    Tensor.fromFlat([part.count, L, 1], part.y, o.dtype),
  ];
  const [x, y] = tensors(trainPart);
  const validation = valPart ? tensors(valPart) : undefined;
  const text: TextMetadata = { tokens: o.tokens, vocab, seqLength: L, step, start: tokens[0] as string };
  const meta: CliMetadata = {
    features: [],
    task: "classification",
    output: "softmax",
    training: { source, seed: o.seed, validationSplit: o.validationSplit, batchSize: o.batchSize, epochs: o.epochs, shuffle: o.shuffle },
    history: {},
    text,
  };

  say(`${net.summary()}\n`);
  say(
    `training on ${trainPart.count} sequences of ${L} ${unit}${valPart ? `, validating on ${valPart.count} (the last ${held} ${unit})` : ""} from ${corpus.name}; ` +
      `vocabulary ${V} ${o.tokens === "chars" ? "characters" : `tokens (${tokens.length} in the text, ${new Set(tokens).size} distinct; rarer ones are <unk>)`}`,
  );
  const sampleLength = o.sampleLength ?? (o.tokens === "chars" ? 200 : 50);
  const samples: Callback = {
    onEpochEnd(epoch) {
      if (o.sampleEvery === 0 || o.quiet || (epoch + 1) % o.sampleEvery !== 0) return;
      // A sample from the corpus' first token, at the sampling temperature, with its own seed.
      const stepper = new TokenStepper(net, "train-text");
      let sample = joinToken(undefined, text.start, text.tokens);
      for (const piece of generatePieces(stepper, text, encode([text.start], vocab) as number[], sampleLength, o.temperature, new Rng(o.seed + epoch + 1))) sample += piece;
      if (o.json) io.stdout.write(`${JSON.stringify({ event: "sample", epoch: epoch + 1, temperature: o.temperature, text: sample })}\n`);
      else io.stdout.write(`--- sample after epoch ${epoch + 1} (temperature ${o.temperature}) ---\n${sample}\n---\n`);
    },
  };
  const run = await fitWithCheckpoints({
    net,
    x,
    y,
    validation,
    epochs: o.epochs,
    batchSize: o.batchSize,
    shuffle: o.shuffle,
    meta,
    savePath: o.save,
    checkpointEvery: o.checkpointEvery,
    mode: progressMode(o, io.stdout),
    metric: "sparseCategoricalAccuracy",
    callbacks: [samples],
    io,
  });
  if (run.interrupted !== undefined) return run.interrupted;
  const last = (k: string) => run.history[k]?.at(-1);
  const files = o.save ? await saveWithMetadata(net, o.save, run.meta) : [];
  const loss = last("loss");
  const valLoss = last("val_loss");
  if (o.json) {
    io.stdout.write(`${JSON.stringify({ event: "end", epochs: net.epoch, seconds: run.seconds, secondsPerEpoch: run.seconds / Math.max(1, o.epochs), train: { loss, accuracy: last("sparseCategoricalAccuracy") }, ...(valLoss !== undefined ? { validation: { loss: valLoss, accuracy: last("val_sparseCategoricalAccuracy"), perplexity: Math.exp(valLoss) } } : {}), vocabulary: V, saved: files })}\n`);
    return 0;
  }
  if (!o.quiet) {
    if ((run.history["loss"]?.length ?? 0) > 1) say(`\n${lossChart([{ name: "loss", values: run.history["loss"] ?? [] }, { name: "val_loss", values: run.history["val_loss"] ?? [] }])}`);
    say(`\ntrained ${net.epoch} epochs in ${run.seconds.toFixed(2)} s (${(run.seconds / Math.max(1, o.epochs)).toFixed(2)} s per epoch)`);
    if (loss !== undefined) say(`training    loss ${loss.toFixed(4)} (perplexity ${Math.exp(loss).toFixed(2)})`);
    if (valLoss !== undefined) say(`validation  loss ${valLoss.toFixed(4)} (perplexity ${Math.exp(valLoss).toFixed(2)})`);
  }
  if (files.length > 0) io.stdout.write(`${o.quiet ? "" : "\n"}model saved to ${files.join(", ")}${o.quiet ? "" : `; try: backprop generate ${files[0]} --prompt "…"`}\n`);
  return 0;
}
