// publint and Are the Types Wrong? on the packed tarballs, as npm would publish them.
//
// The packages are ESM only (see the READMEs): `import` works in Node.js, bundlers and browsers,
// and CommonJS code on Node.js ≥ 20.19 / ≥ 22.12 loads them with `require()` (require(esm)), which
// install.test.ts checks on the installed tarballs. attw predates require(esm): it reports every
// entry point as "CJSResolvesToESM" under `node16 (from CJS)`, and subpath exports as
// "NoResolution" under `node10` (TypeScript's old resolution, which ignores `exports`). Its
// `--profile esm-only` leaves out exactly those two resolutions, and these tests accept exactly
// those two problems there (printed, not hidden); anything else fails.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { describe, expect, inject, it } from "vitest";
import { PUBLISHABLE, run } from "./workspace.js";

const tarballs = inject("tarballs");
const ATTW_PACKAGE = createRequire(import.meta.url).resolve("@arethetypeswrong/cli/package.json");
const ATTW = join(dirname(ATTW_PACKAGE), (JSON.parse(readFileSync(ATTW_PACKAGE, "utf8")) as { bin: { attw: string } }).bin.attw);
const IGNORED_RESOLUTIONS = new Set(["node10", "node16-cjs"]);
/** The only problems accepted in the resolutions the esm-only profile leaves out. */
const ACCEPTED = new Set(["node16-cjs:CJSResolvesToESM", "node10:NoResolution"]);

interface AttwReport {
  analysis: {
    types: unknown;
    entrypoints?: Record<string, unknown>;
    problems?: { kind: string; entrypoint: string; resolutionKind?: string }[];
  };
}

describe.each(PUBLISHABLE)("$name", ({ name }) => {
  const tarball = tarballs[name] as string;

  it("passes publint with no errors", async () => {
    const bytes = readFileSync(tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer },
      level: "suggestion",
    });
    for (const m of messages) console.log(`publint ${name} ${m.type}: ${formatMessage(m, pkg) ?? m.code}`);
    expect(messages.filter((m) => m.type === "error").map((m) => formatMessage(m, pkg) ?? m.code)).toEqual([]);
  });

  it("passes attw --profile esm-only, with only the CommonJS resolutions' expected problems", () => {
    // attw exits 1 on a problem its profile does not ignore; `run` throws on that.
    const { stdout } = run(process.execPath, [ATTW, tarball, "--profile", "esm-only", "--format", "json"], { cwd: process.cwd() });
    const report = JSON.parse(stdout) as AttwReport;
    if (name === "@backprop/cli") {
      // The CLI is a command (`bin`), with no entry point to import and so no types to check.
      expect(report.analysis.types).toBe(false);
      return;
    }
    expect(report.analysis.types).toBeTruthy();
    const problems = report.analysis.problems ?? [];
    const counted = problems.filter((p) => !IGNORED_RESOLUTIONS.has(p.resolutionKind ?? ""));
    const ignored = problems.filter((p) => IGNORED_RESOLUTIONS.has(p.resolutionKind ?? ""));
    for (const p of ignored) console.log(`attw ${name} (ignored by esm-only) ${p.resolutionKind} ${p.entrypoint}: ${p.kind}`);
    expect(counted).toEqual([]);
    expect(ignored.filter((p) => !ACCEPTED.has(`${p.resolutionKind}:${p.kind}`))).toEqual([]);
    // node10 cannot see subpaths (it ignores `exports`); the main entry resolves there too.
    expect(ignored.filter((p) => p.kind === "NoResolution" && p.entrypoint === ".")).toEqual([]);
  });
});
