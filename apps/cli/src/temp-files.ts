import { readdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/**
 * The writer's pid in the name of a temporary file that `writeFileAtomic` (@backprop/serialize)
 * writes beside `name` before renaming it: `.${name}.${pid}.${random hex}.tmp`; undefined for
 * any other file name.
 * @example
 * ```ts
 * tempFileWriter(".m.json.4242.a1b2c3.tmp", "m.json"); // 4242
 * ```
 */
export function tempFileWriter(file: string, name: string): number | undefined {
  const prefix = `.${name}.`;
  if (!file.startsWith(prefix) || !file.endsWith(".tmp")) return undefined;
  const match = /^(\d+)\.[0-9a-f]+$/.exec(file.slice(prefix.length, -".tmp".length));
  const pid = match ? Number(match[1]) : Number.NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this id runs (possibly one we may not signal). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // NOTE: EPERM means it exists but belongs to someone else: alive, its file is not ours to take.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporary files that atomic writes of `path` left behind when their writer died
 * mid-write (`kill -9`, a crash, a power cut): those whose writer pid no longer runs. The files of
 * a live writer (this process included) stay, as they are being written. For a folder-format path
 * (TF.js), the temporary files of the files inside it too. Never throws: a file that cannot be
 * listed or removed is left where it is. Returns the removed paths.
 */
export async function removeStaleTempFiles(path: string): Promise<string[]> {
  const removed: string[] = [];
  const sweep = async (folder: string, owns: (file: string) => number | undefined) => {
    let files: string[];
    try {
      files = await readdir(folder);
    } catch {
      return;
    }
    for (const file of files) {
      const pid = owns(file);
      if (pid === undefined || pid === process.pid || processAlive(pid)) continue;
      try {
        await rm(join(folder, file), { force: true });
        removed.push(join(folder, file));
      } catch {
        // e.g. no permission: not worth failing a training run for
      }
    }
  };
  const name = basename(path);
  await sweep(dirname(path), (file) => tempFileWriter(file, name));
  const isFolder = await stat(path).then((s) => s.isDirectory(), () => false);
  if (isFolder) {
    // A folder format writes each of its files atomically: `.model.json.<pid>.<hex>.tmp` inside it.
    await sweep(path, (file) => {
      const inner = /^\.(.+)\.\d+\.[0-9a-f]+\.tmp$/.exec(file)?.[1];
      return inner === undefined ? undefined : tempFileWriter(file, inner);
    });
  }
  return removed;
}
