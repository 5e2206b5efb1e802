import { isBackpropError } from "@backprop/linalg";
import { Command, InvalidArgumentError } from "commander";
import { walkthrough } from "./walkthrough.js";

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`expected a positive integer (got "${value}")`);
  return n;
}

function dtype(value: string): "float32" | "float64" {
  if (value !== "float32" && value !== "float64") throw new InvalidArgumentError('expected "float32" or "float64"');
  return value;
}

const program = new Command()
  .name("backprop")
  .description("Neural networks trained by backpropagation, every number inspectable.")
  .version("0.1.0")
  .option("--debug", "print stack traces on errors");

program
  .command("walkthrough")
  .description("run the step-by-step backpropagation example and print every number next to the reference")
  .option("--frozen-bias", "keep the biases fixed, as the original article does", false)
  .option("--steps <n>", "training steps to run, printing the error after each", positiveInt, 1)
  .option("--dtype <dtype>", "float32 or float64", dtype, "float64")
  .action((opts: { frozenBias: boolean; steps: number; dtype: "float32" | "float64" }) => {
    process.stdout.write(`${walkthrough(opts)}\n`);
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  const debug = program.opts<{ debug?: boolean }>().debug === true;
  if (debug) console.error(error);
  else console.error(`backprop: ${isBackpropError(error) || error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
