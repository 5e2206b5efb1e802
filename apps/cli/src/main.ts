// The entry point of the `backprop` command. Two things are settled before the program (and every
// package it imports) loads: a reader that closes the pipe ends the process quietly, and
// `backprop --version` answers at once, without loading the network code.
import { readFileSync } from "node:fs";

/**
 * `backprop predict m.json rows.csv | head -1`: once the reader has gone, writing fails with EPIPE.
 * Stop there, quietly and with status 0 (as ripgrep does; a C tool killed by SIGPIPE would report
 * 141): the reader has what it asked for. Any other write error stays an error.
 */
function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}
endQuietlyOnClosedPipe(process.stdout);
endQuietlyOnClosedPipe(process.stderr);

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  // dist/main.js and src/main.ts both sit one folder below the package.
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  process.stdout.write(`${pkg.version}\n`);
} else {
  const { run } = await import("./program.js");
  await run(process.argv);
}
