import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { processAlive, removeStaleTempFiles, tempFileWriter } from "./temp-files.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-temp-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const dead = (): number => spawnSync(process.execPath, ["-e", "0"]).pid as number;

describe("stale temporary files", () => {
  it("reads the writer's pid from writeFileAtomic's naming, and nothing else", () => {
    expect(tempFileWriter(".m.json.4242.a1b2c3d4e5f6.tmp", "m.json")).toBe(4242);
    expect(tempFileWriter(".m.json.4242.a1b2c3d4e5f6.tmp", "n.json")).toBeUndefined();
    expect(tempFileWriter(".m.json.x.a1b2.tmp", "m.json")).toBeUndefined();
    expect(tempFileWriter(".m.json.4242.tmp", "m.json")).toBeUndefined();
    expect(tempFileWriter("m.json", "m.json")).toBeUndefined();
    expect(tempFileWriter(".m.json.1.2.3.abc.tmp", "m.json.1.2")).toBe(3);
  });

  it("knows a live process from a dead one", () => {
    expect(processAlive(process.pid)).toBe(true);
    expect(processAlive(dead())).toBe(false);
  });

  it("removes the files of dead writers of this path only, in a folder format's folder too", async () => {
    const d = dead();
    const files = [`.m.json.${d}.abc.tmp`, `.m.json.${process.pid}.abc.tmp`, `.mm.json.${d}.abc.tmp`, "m.json", `.m.json.${d}.abc.tmp.bak`];
    for (const f of files) writeFileSync(join(dir, f), "");
    mkdirSync(join(dir, "m.tfjs"));
    writeFileSync(join(dir, "m.tfjs", `.model.json.${d}.0f.tmp`), "");
    writeFileSync(join(dir, "m.tfjs", "model.json"), "");
    const removed = await removeStaleTempFiles(join(dir, "m.json"));
    expect(removed).toEqual([join(dir, `.m.json.${d}.abc.tmp`)]);
    expect(readdirSync(dir).sort()).toEqual(files.slice(1).concat("m.tfjs").sort());
    expect(await removeStaleTempFiles(join(dir, "m.tfjs"))).toEqual([join(dir, "m.tfjs", `.model.json.${d}.0f.tmp`)]);
    expect(readdirSync(join(dir, "m.tfjs"))).toEqual(["model.json"]);
    expect(await removeStaleTempFiles(join(dir, "missing", "x.json"))).toEqual([]);
  });
});
