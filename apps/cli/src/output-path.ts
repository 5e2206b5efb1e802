import { accessSync, constants, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { cliError } from "./cli-error.js";

/**
 * Checks, before any work starts, that `path` can be written by the atomic write (a temporary
 * file in the same folder, then a rename): its folder exists and is writable, and `path` itself
 * is not a folder. A run of half an hour must not end in `EISDIR` with nothing saved.
 * @param path - the file the user named
 * @param flag - the option that named it (`--save`, `--output`), for the message
 * @throws BackpropError `INVALID_ARGUMENT` naming the flag, the path and what is wrong
 */
export function checkOutputPath(path: string, flag: string): void {
  if (path.trim() === "") throw cliError(`${flag}: the path is empty`, "INVALID_ARGUMENT");
  const target = resolve(path);
  const folder = dirname(target);
  const existing = statOrUndefined(target);
  if (existing?.isDirectory()) {
    throw cliError(`${flag} ${path}: is a folder, expected a file name`, "INVALID_ARGUMENT", `name a file inside it, e.g. ${flag} ${path.replace(/\/+$/, "")}/model.json`);
  }
  const parent = statOrUndefined(folder);
  if (!parent) throw cliError(`${flag} ${path}: the folder ${folder} does not exist`, "INVALID_ARGUMENT", `create it first (mkdir -p ${folder})`);
  if (!parent.isDirectory()) throw cliError(`${flag} ${path}: ${folder} is not a folder`, "INVALID_ARGUMENT");
  try {
    accessSync(folder, constants.W_OK);
  } catch {
    throw cliError(`${flag} ${path}: the folder ${folder} is not writable`, "INVALID_ARGUMENT");
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
