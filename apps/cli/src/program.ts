import { readFileSync } from "node:fs";
import { isBackpropError } from "@backprop/linalg";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { EXIT } from "./cli-error.js";
import { convert, FORMATS } from "./commands/convert.js";
import { datasets } from "./commands/datasets.js";
import { evaluate } from "./commands/evaluate.js";
import { forecast } from "./commands/forecast.js";
import { generate } from "./commands/generate.js";
import { inspect } from "./commands/inspect.js";
import { predict } from "./commands/predict.js";
import { readSpec, train, type TrainOptions } from "./commands/train.js";
import { DEFAULT_VOCAB_SIZE, trainText, type TrainTextOptions } from "./commands/train-text.js";
import { TRANSFORMS } from "./data/series.js";
import { CELLS } from "./recurrent.js";
import { walkthrough } from "./walkthrough.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer (got "${value}")`);
  return n;
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer ≥ 0 (got "${value}")`);
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a positive number (got "${value}")`);
  return n;
}

function fraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError(`expected a number in [0, 1) (got "${value}")`);
  return n;
}

function layerList(value: string): number[] {
  if (value.trim() === "") return [];
  return value.split(",").map((part) => {
    const n = Number(part.trim());
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected units per hidden layer like 16,8 (got "${value}")`);
    return n;
  });
}

function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0 (got "${value}")`);
  return n;
}

const columnList = (value: string): string[] => value.split(",").map((c) => c.trim()).filter((c) => c.length > 0);

/** `--delimiter`: one character; `tab` and `\t` name a tab. */
function delimiter(value: string): string {
  const d = value === "tab" || value === "\\t" ? "\t" : value;
  if (d.length !== 1 || d === '"' || d === "\n" || d === "\r") throw new InvalidArgumentError(`expected one character, or tab (got "${value}")`);
  return d;
}

/** `--lr-schedule`: checked here for its form; the rates are made once the run's length is known. */
function schedule(value: string): string {
  const [name, ...args] = value.split(":");
  const numbers = args.every((a) => Number.isFinite(Number(a)) && Number(a) > 0);
  const ok =
    numbers &&
    ((name === "constant" && args.length === 0) ||
      (name === "cosine" && args.length === 0) ||
      (name === "exponential" && args.length <= 1) ||
      (name === "step" && args.length >= 1 && args.length <= 2 && Number.isInteger(Number(args[0]))));
  if (!ok) throw new InvalidArgumentError(`expected constant, cosine, exponential[:FACTOR] or step:EPOCHS[:FACTOR] (got "${value}")`);
  return value;
}

/** `--class-weight`: `balanced` or `label:weight,…`. */
function classWeight(value: string): string {
  if (value === "balanced") return value;
  const ok = value.split(",").every((part) => {
    const at = part.lastIndexOf(":");
    const w = Number(part.slice(at + 1));
    return at > 0 && part.slice(at + 1).trim() !== "" && Number.isFinite(w) && w >= 0;
  });
  if (!ok) throw new InvalidArgumentError(`expected balanced or label:weight,… (got "${value}")`);
  return value;
}

/** The version in the CLI's package.json (one level above both src/ and dist/). */
function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "0.0.0";
}

/** The program with every command; exported so the docs can generate the CLI reference from it. */
export function createProgram(): Command {
  const program = new Command()
    .name("backprop")
    .description("Neural networks trained by backpropagation, every number inspectable.")
    .version(cliVersion())
    .option("--debug", "print stack traces on errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("train")
    .description("train a network on a CSV/JSON file or a built-in dataset and save it (--sequence: a time-series forecaster)")
    .argument("[data]", "a CSV file (header row), a JSON file, - for CSV on stdin, or a built-in dataset name (see `backprop datasets`)")
    .option("--target <column>", "the column to predict (CSV/JSON)")
    .option("--features <columns>", "comma-separated feature columns (default: all but the target; with --sequence: none, the target's own past only)", columnList)
    .addOption(new Option("--task <task>", "force the task (a non-numeric target is always classification)").choices(["classification", "regression"]))
    .addOption(
      new Option("--model <preset>", "mlp (default): Dense layers of --layers units; cnn: convolutions and pooling for image data (digits, mnist); with --sequence: lstm (the default there), gru, rnn, or mlp on the flattened window")
        .choices(["mlp", "cnn", ...CELLS]),
    )
    .option(
      "--sequence",
      "time series: windows of --window rows of the target (and --features) predict its next --horizon values; the last --validation-split of the rows validates (windows after the last training target, scaling fitted on the training rows only)",
    )
    .option("--window <n>", "--sequence: steps per window (default: 12)", nonNegativeInt)
    .option("--horizon <n>", "--sequence: values predicted after each window, t+1…t+n (default: 1)", nonNegativeInt)
    .option("--units <units>", "--sequence: units per recurrent layer, comma-separated to stack (default: 32)", layerList)
    .addOption(new Option("--cell <cell>", "--sequence: the recurrent cell (same as --model lstm|gru|rnn)").choices([...CELLS]))
    .addOption(
      new Option("--transform <t>", "--sequence: what the network sees of each window: diff (default: changes since the window's last value, so a trend needs no extrapolation), log-diff (relative changes, positive series), log, none (the values)")
        .choices([...TRANSFORMS]),
    )
    .addOption(new Option("--layers <units>", "units per hidden layer (mlp), comma-separated").argParser(layerList).default([16, 8], "16,8"))
    .option("--activation <name>", "activation of the hidden layers", "relu")
    .option("--loss <name>", "loss: auto (cross-entropy for classes, MSE for numbers), ce, bce, mse, mae, huber, …", "auto")
    .option("--optimizer <name>", "optimizer: sgd, adam, rmsprop, adagrad, adadelta, adamw, adamax, nadam", "adam")
    .option("--lr <rate>", "learning rate (default: the optimizer's)", positiveNumber)
    .option("--epochs <n>", "number of epochs (with --resume: the total to reach)", positiveInt, 100)
    .option("--batch-size <n>", "samples per gradient step", positiveInt, 32)
    .option("--seed <n>", "seed for weights, shuffling and the validation split", nonNegativeInt, 1)
    .option("--validation-split <fraction>", "fraction of the samples held out for validation (default: 0.2; 0 under 10 samples, e.g. xor)", fraction)
    .addOption(new Option("--dtype <dtype>", "float32 or float64").choices(["float32", "float64"]).default("float32"))
    .addOption(new Option("--normalize <method>", "input normalisation fitted on the training split").choices(["standard", "minmax", "none"]).default("standard"))
    .option("--no-shuffle", "keep the sample order")
    .addOption(
      new Option("--missing <policy>", "missing cells (empty, NA, NaN, null, …): drop the row (default; the count is printed), fill with the training rows' mean or median (a category: its most frequent value), or error")
        .choices(["drop", "mean", "median", "error"]),
    )
    .option("--delimiter <char>", "CSV field separator (default: sniffed from the header: , ; or tab)", delimiter)
    .option("--test-split <fraction>", "fraction of the rows held out as a test set before the validation split: never trained or validated on, scored at the end (default: 0)", fraction)
    .option("--class-weight <weights>", "weigh the loss per class: balanced (n / (classes × count), as Keras and scikit-learn), or label:weight,…", classWeight)
    .option("--early-stopping <patience>", "stop after this many epochs without a lower val_loss, and restore the best epoch's weights", positiveInt)
    .option("--dropout <rate>", "dropout after each hidden layer (mlp), or the rate of the cnn preset's dropout (default there: 0.3)", fraction)
    .option("--clip-norm <n>", "rescale each step's gradients to at most this global L2 norm", positiveNumber)
    .option("--lr-schedule <schedule>", "learning rate over the run: constant (default), cosine (to 0 at the last epoch), exponential[:FACTOR] (× FACTOR per epoch, default 0.95), step:EPOCHS[:FACTOR] (× FACTOR, default 0.1, every EPOCHS epochs)", schedule)
    .option("--samples <n>", "built-in datasets: how many samples to generate (or keep)", positiveInt)
    .option("--noise <sd>", "built-in generated datasets: standard deviation of the noise", (v: string) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number ≥ 0 (got "${v}")`);
      return n;
    })
    .option("--config <file>", "a JSON model spec with any of these options (flags win)")
    .option("--save <file>", "where to save the trained model (written atomically)")
    .option("--checkpoint-every <n>", "also save to --save every N epochs", positiveInt)
    .option("--resume <file>", "continue training a saved model exactly where it stopped")
    .option("--quiet", "print only where the model was saved", false)
    .option("--json", "print one JSON record per epoch and a final summary", false)
    .action(async (data: string | undefined, flags: Record<string, unknown>, cmd: Command) => {
      const spec = typeof flags["config"] === "string" ? readSpec(flags["config"]) : {};
      // Precedence: explicit flags > the spec file > defaults (and with --resume, the saved run).
      const merged: Record<string, unknown> = { ...flags };
      for (const [key, value] of Object.entries(spec)) {
        if (cmd.getOptionValueSource(key) !== "cli") merged[key] = value;
      }
      if (flags["resume"] && cmd.getOptionValueSource("epochs") !== "cli" && spec.epochs === undefined) merged["epochs"] = 0;
      merged["given"] = [...Object.keys(flags).filter((key) => cmd.getOptionValueSource(key) === "cli"), ...Object.keys(spec)];
      process.exitCode = await train(data, merged as unknown as TrainOptions, { stdout: process.stdout, stderr: process.stderr });
    });

  program
    .command("forecast")
    .description("forecast the next values of a time series with a model from `train --sequence` (a univariate model feeds its predictions back)")
    .argument("<model>", "a model saved by `backprop train <series> --sequence`")
    .argument("<series>", "a CSV file with the model's columns (oldest row first; the last --window rows are read), - for stdin, or a built-in series")
    .option("--steps <n>", "values to forecast, t+1…t+n", positiveInt, 1)
    .addOption(new Option("--format <format>", "output format").choices(["csv", "json", "table"]).default("csv"))
    .option("--output <file>", "write to a file (atomically) instead of stdout")
    .action(async (modelPath: string, data: string, flags: { steps: number; format: "csv" | "json" | "table"; output?: string }) => {
      process.exitCode = await forecast(modelPath, data, flags, process.stdout);
    });

  program
    .command("train-text")
    .description("train a character- (or word-) level language model on a text file and save it")
    .argument("<corpus>", "a UTF-8 text file, or a built-in corpus (alice)")
    .addOption(new Option("--tokens <kind>", "chars: every character; words: lower-cased words and punctuation (rare words → <unk>)").choices(["chars", "words"]).default("chars"))
    .option("--vocab-size <n>", `--tokens words: vocabulary size, <unk> included (default: ${DEFAULT_VOCAB_SIZE})`, positiveInt)
    .option("--seq-length <n>", "tokens per training sequence; the next token is predicted at every step", positiveInt, 40)
    .option("--step <n>", "tokens between sequence starts (default: a quarter of --seq-length: overlapping sequences, 4× more per epoch)", positiveInt)
    .addOption(new Option("--model <cell>", "the recurrent cell").choices([...CELLS]).default("lstm"))
    .addOption(new Option("--cell <cell>", "same as --model").choices([...CELLS]))
    .option("--units <n>", "units per recurrent layer", positiveInt, 128)
    .option("--layers <n>", "recurrent layers stacked", positiveInt, 1)
    .option("--embedding-dim <n>", "length of each token's learned vector (the Embedding layer)", positiveInt, 32)
    .option("--optimizer <name>", "optimizer", "adam")
    .option("--lr <rate>", "learning rate", positiveNumber, 0.005)
    .option("--clip-norm <n>", "rescale each step's gradients to at most this global norm (recurrent nets need it)", positiveNumber, 1)
    .option("--epochs <n>", "number of epochs", positiveInt, 15)
    .option("--batch-size <n>", "sequences per gradient step", positiveInt, 32)
    .option("--seed <n>", "seed for weights, shuffling and the samples", nonNegativeInt, 1)
    .option("--validation-split <fraction>", "the last fraction of the text held out for validation", fraction, 0.1)
    .addOption(new Option("--dtype <dtype>", "float32 or float64").choices(["float32", "float64"]).default("float32"))
    .option("--no-shuffle", "keep the sequence order")
    .option("--sample-every <n>", "print a sample every N epochs (0: never)", nonNegativeInt, 1)
    .option("--sample-length <n>", "tokens per sample (default: 200 characters or 50 words)", positiveInt)
    .option("--temperature <t>", "sampling temperature of the samples (0: greedy)", nonNegativeNumber, 0.8)
    .option("--save <file>", "where to save the trained model (written atomically)")
    .option("--checkpoint-every <n>", "also save to --save every N epochs", positiveInt)
    .option("--quiet", "print only where the model was saved", false)
    .option("--json", "print one JSON record per epoch (and per sample) and a final summary", false)
    .action(async (corpus: string, flags: TrainTextOptions) => {
      process.exitCode = await trainText(corpus, flags, { stdout: process.stdout, stderr: process.stderr });
    });

  program
    .command("generate")
    .description("generate text with a model from `train-text`, streamed token by token")
    .argument("<model>", "a model saved by `backprop train-text`")
    .option("--prompt <text>", "text to start from (default: the corpus' first token); a character model rejects unknown characters, a word model reads unknown words as <unk>", "")
    .option("--length <n>", "tokens to generate", positiveInt, 200)
    .option("--temperature <t>", "below 1 safer, above 1 wilder; 0 always takes the most likely token", nonNegativeNumber, 0.8)
    .option("--seed <n>", "seed of the sampling: same seed, same text", nonNegativeInt, 1)
    .action(async (modelPath: string, flags: { prompt: string; length: number; temperature: number; seed: number }) => {
      process.exitCode = await generate(modelPath, flags, process.stdout, process.stderr);
    });

  program
    .command("evaluate")
    .description("loss and metrics of a saved model on labelled data (accuracy + confusion matrix, or MSE/MAE/R²)")
    .argument("<model>", "a model saved by `backprop train`")
    .argument("<data>", "a CSV/JSON file with the model's feature columns and the target, or a built-in dataset")
    .option("--target <column>", "the target column (default: the one the model was trained on)")
    .option("--delimiter <char>", "CSV field separator (default: sniffed from the header: , ; or tab)", delimiter)
    .option("--json", "print the results as JSON", false)
    .action(async (modelPath: string, data: string, flags: { target?: string; json: boolean; delimiter?: string }) => {
      process.exitCode = await evaluate(modelPath, data, flags, process.stdout, process.stderr);
    });

  program
    .command("predict")
    .description("predictions of a saved model for CSV rows (the saved normalisation and category encoding are applied), each named by its row number or --id")
    .argument("<model>", "a model saved by `backprop train`")
    .argument("[data]", "a CSV/JSON file with the model's feature columns, or - for stdin", "-")
    .addOption(new Option("--format <format>", "output format").choices(["csv", "json"]).default("csv"))
    .option("--output <file>", "write to a file (atomically) instead of stdout")
    .option("--id <column>", "a column copied to the output to name each prediction (default: row, the input row number, 1 for the first data row)")
    .option("--delimiter <char>", "CSV field separator (default: sniffed from the header: , ; or tab)", delimiter)
    .action(async (modelPath: string, data: string, flags: { format: "csv" | "json"; output?: string; id?: string; delimiter?: string }) => {
      process.exitCode = await predict(modelPath, data, flags, process.stdout, process.stderr);
    });

  program
    .command("inspect")
    .description("summary of a model file: layers, shapes, parameters, optimizer, training history")
    .argument("<model>", "a model file (native JSON, safetensors, ONNX or TF.js)")
    .option("--json", "print the details as JSON", false)
    .action(async (modelPath: string, flags: { json: boolean }) => {
      process.exitCode = await inspect(modelPath, flags, process.stdout);
    });

  program
    .command("convert")
    .description("convert between the native JSON, safetensors, ONNX and TF.js formats")
    .argument("<input>", "a model file in any supported format")
    .argument("<output>", "the file to write; the format comes from its extension or --to")
    .addOption(new Option("--to <format>", "output format").choices([...FORMATS]))
    .action(async (input: string, output: string, flags: { to?: string }) => {
      process.exitCode = await convert(input, output, flags, process.stdout);
    });

  program
    .command("walkthrough")
    .description("run the step-by-step backpropagation example and print every number next to the reference")
    .option("--frozen-bias", "keep the biases fixed, as the original article does", false)
    .option("--steps <n>", "training steps to run, printing the error after each", positiveInt, 1)
    .addOption(new Option("--dtype <dtype>", "float32 or float64").choices(["float32", "float64"]).default("float64"))
    .action((flags: { frozenBias: boolean; steps: number; dtype: "float32" | "float64" }) => {
      process.stdout.write(`${walkthrough(flags)}\n`);
    });

  program
    .command("datasets")
    .description("list the built-in datasets")
    .option("--json", "print the list as JSON", false)
    .action((flags: { json: boolean }) => {
      process.exitCode = datasets(flags, process.stdout);
    });

  return program;
}

/** Runs the CLI on `argv` (as `process.argv`), setting `process.exitCode`; never throws. */
export async function run(argv: string[]): Promise<void> {
  const program = createProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander already printed the message (or the help/version text).
      process.exitCode = error.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    const debug = argv.includes("--debug");
    if (debug) console.error(error);
    // One line on stderr: the hint, if any, follows on the same line.
    else if (isBackpropError(error)) console.error(`backprop: ${error.message.replace(/\nhelp: /g, " — help: ").replace(/\n/g, " ")}`);
    else console.error(`backprop: ${error instanceof Error ? error.message : String(error)} (run with --debug for details)`);
    process.exitCode = EXIT.failure;
  }
}

