#!/usr/bin/env node
// The `backprop` command as pnpm links it: into the workspace root's node_modules/.bin (the root
// depends on @backprop/cli), so `npx -y pnpm@10.34.9 exec backprop …` works from any folder of the
// clone, and into the node_modules/.bin of the apps that depend on the CLI. A link is made at
// install time, before anything is built, so it points at this committed file rather than at the
// build output; the command itself is dist/main.js. `pnpm exec` keeps the folder the user is in as
// the working directory, so relative paths need nothing here.
import { existsSync } from "node:fs";

const main = new URL("../dist/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write("backprop: the CLI is not built yet: run `npx -y pnpm@10.34.9 build:cli` in the repository first\n");
  process.exit(1);
}
await import(main.href);
