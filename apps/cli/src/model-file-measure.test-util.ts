import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { CLI_MAIN } from "./cli-runner.test-util.js";

/** What one run of the built CLI cost, as the process saw it at exit. */
export interface Measured {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Milliseconds from the first module loaded to exit. */
  readonly ms: number;
  /** User + system CPU time, milliseconds (the stable figure on a busy machine). */
  readonly cpuMs: number;
  /** Peak resident set size, bytes. */
  readonly peakRss: number;
}

// Loaded with --import before the CLI: records time, CPU and peak RSS when the process exits. The
// peak is the process's own VmHWM where /proc has it (resourceUsage().maxRSS of a spawned child can
// start from its parent's RSS at the fork).
const PROBE = `import { readFileSync, writeFileSync } from "node:fs";
const start = performance.now();
function peakRss() {
  try {
    const m = /^VmHWM:\\s+(\\d+) kB$/m.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) * 1024;
  } catch {}
  return process.resourceUsage().maxRSS * 1024;
}
process.on("exit", () => {
  const cpu = process.cpuUsage();
  writeFileSync(process.env.BP_MEASURE_OUT, JSON.stringify({ ms: performance.now() - start, cpuMs: (cpu.user + cpu.system) / 1000, peakRss: peakRss() }));
});
`;

/** How to run the measured process. */
export interface MeasureOptions {
  /**
   * Collect garbage on the main thread only (`--single-threaded-gc`), for a memory bound: the peak
   * then follows what the program holds rather than how busy the other cores are. With the
   * default concurrent marker a loaded CI machine let a 20 MB model's conversion peak 10 MB
   * higher (135.8 MB against 125.5–127.1 MB; on the main thread 126.4–127.9 MB, loaded or not).
   * Off by default: timings are then the ones a user sees.
   */
  readonly mainThreadGc?: boolean;
}

/** Runs `backprop <args>` in `dir`, measuring its time, CPU and peak memory. */
export function measureIn(dir: string, args: string[], options: MeasureOptions = {}): Measured {
  const probe = join(dir, ".measure-probe.mjs");
  const out = join(dir, ".measure-result.json");
  writeFileSync(probe, PROBE);
  rmSync(out, { force: true });
  const flags = options.mainThreadGc ? ["--single-threaded-gc"] : [];
  const r = spawnSync(process.execPath, [...flags, "--import", pathToFileURL(probe).href, CLI_MAIN, ...args], {
    encoding: "utf8",
    cwd: dir,
    env: { ...process.env, CI: "1", NO_COLOR: "1", BP_MEASURE_OUT: out },
    timeout: 600_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = JSON.parse(readFileSync(out, "utf8")) as { ms: number; cpuMs: number; peakRss: number };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...m };
}
