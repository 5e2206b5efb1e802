import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CheckpointWriter } from "./checkpoint-writer.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-checkpoint-writer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bytes = (text: string) => new TextEncoder().encode(text);

describe("CheckpointWriter", () => {
  it("writes one at a time; what queues up while a write runs is replaced by the newest", async () => {
    const path = join(dir, "c.json");
    const written: number[] = [];
    const writer = new CheckpointWriter(path, (epoch) => written.push(epoch));
    for (let epoch = 1; epoch <= 5; epoch++) writer.write(epoch, bytes(`epoch ${epoch}`));
    await writer.flush();
    // 1 started at once; 2–4 were replaced by 5 while it ran.
    expect(written).toEqual([1, 5]);
    expect(readFileSync(path, "utf8")).toBe("epoch 5");
    writer.write(6, bytes("epoch 6"));
    await writer.flush();
    expect(written).toEqual([1, 5, 6]);
  });

  it("reports the first failed write from flush and writes nothing more", async () => {
    const writer = new CheckpointWriter(join(dir, "no", "such", "folder", "c.json"));
    writer.write(1, bytes("x"));
    await expect(writer.flush()).rejects.toThrow(/ENOENT/);
    writer.write(2, bytes("y"));
    await expect(writer.flush()).rejects.toThrow(/ENOENT/);
  });
});
