import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CLI_MAIN, expectCleanFailure, jsonLines, runIn } from "./cli-runner.test-util.js";

const dir = mkdtempSync(join(tmpdir(), "backprop-ckfmt-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkpoints are written in the format the save path names", () => {
  it("a .safetensors path gets safetensors checkpoints that resume", () => {
    const r = runIn(dir, ["train", "iris", "--epochs", "6", "--checkpoint-every", "3", "--save", "m.safetensors", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).filter((l) => l["event"] === "checkpoint").length).toBeGreaterThan(0);
    // safetensors starts with the 8-byte little-endian header length, then "{": never a JSON file.
    const bytes = readFileSync(join(dir, "m.safetensors"));
    expect(bytes[0]).not.toBe("{".charCodeAt(0));
    expect(String.fromCharCode(bytes[8] as number)).toBe("{");
    const resumed = runIn(dir, ["train", "iris", "--resume", "m.safetensors", "--epochs", "8", "--quiet"]);
    expect(resumed.status, resumed.stderr).toBe(0);
    const inspected = JSON.parse(runIn(dir, ["inspect", "m.safetensors", "--json"]).stdout) as { epochs?: number };
    expect(inspected.epochs).toBe(8);
  });

  it("SIGTERM saves the last finished epoch as safetensors, not as JSON text in a .safetensors file", async () => {
    const child = spawn(process.execPath, [CLI_MAIN, "train", "iris", "--epochs", "100000", "--save", "t.safetensors", "--json"], { cwd: dir, env: { ...process.env, CI: "1" } });
    let out = "";
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('"epoch"') && !child.killed) child.kill("SIGTERM");
      });
      child.on("exit", (c) => resolve(c));
    });
    expect(code).toBe(143);
    const bytes = readFileSync(join(dir, "t.safetensors"));
    expect(String.fromCharCode(bytes[8] as number)).toBe("{");
    expect(runIn(dir, ["inspect", "t.safetensors"]).status).toBe(0);
  });

  it("refuses checkpoints into ONNX or TF.js, which keep no training state", () => {
    expectCleanFailure(runIn(dir, ["train", "iris", "--epochs", "4", "--checkpoint-every", "2", "--save", "m.onnx"]), /--checkpoint-every: m\.onnx is an ONNX or TF\.js path/);
  });
});
