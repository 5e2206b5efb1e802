// The tabular tutorial (src/guide/tutorial-tabular.md): runs its program and checks that every
// number the page quotes is the one the program computes, and that the CLI command it shows works.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DOCS, SRC } from "./site.js";
import { quietSamples } from "./samples.js";

const page = readFileSync(join(SRC, "guide/tutorial-tabular.md"), "utf8");
/** The page's prose with line breaks as spaces, so a quoted phrase may wrap. */
const prose = page.replace(/\s*\n\s*/g, " ");
const onPage = (text: string): void => {
  expect(prose, `expected the page to say "${text}"`).toContain(text);
};

quietSamples(["log", "table"]);

describe("tutorial: penguins, end to end", () => {
  it("runs, and the page quotes what it computes", async () => {
    const t = await import("../examples/tutorial-penguins.js");

    // 1. the table
    expect([t.table.length, t.columns.length]).toEqual([344, 7]);
    onPage(`has ${t.table.length} rows and ${t.columns.length} columns`);
    expect(t.missing).toEqual({ Species: 0, Island: 0, "Beak Length (mm)": 2, "Beak Depth (mm)": 2, "Flipper Length (mm)": 2, "Body Mass (g)": 2, Sex: 10 });
    onPage("each measurement is missing twice");
    onPage("is `null` 10 times and `\".\"` once");
    const count = (s: string) => t.table.filter((r) => r["Species"] === s).length;
    onPage(`${count("Adelie")} Adelie, ${count("Chinstrap")} Chinstrap, ${count("Gentoo")} Gentoo`);

    // 2. missing values
    const unknownSex = t.rows.filter((r) => r["Sex"] !== "MALE" && r["Sex"] !== "FEMALE").length;
    onPage(`the ${unknownSex} unknown birds are kept`);
    onPage(`so ${t.rows.length} rows remain`);

    // 3. the split: disjoint, complete, the sizes the page gives
    onPage(`the **training** rows (${t.train.length})`);
    onPage(`the **validation** rows (${t.validation.length})`);
    onPage(`the **test** rows (${t.test.length})`);
    expect(new Set([...t.train, ...t.validation, ...t.test]).size).toBe(t.rows.length);

    // 4. the inputs
    expect(t.FEATURES).toEqual([
      "Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)",
      "Island=Biscoe", "Island=Dream", "Island=Torgersen", "Sex=FEMALE", "Sex=MALE",
    ]);
    onPage(`The ${t.FEATURES.length} inputs:`);

    // 5. the model
    const trainable = t.model.params().filter((p) => p.trainable).reduce((s, p) => s + p.value.size, 0);
    onPage(`counts ${t.model.countParams()} parameters: ${trainable} weights to train and ${t.model.countParams() - trainable} normalisation statistics`);

    // 6. early stopping
    const epochs = t.history.epoch.length;
    expect(epochs).toBeLessThan(200);
    expect(t.stopper.stoppedEpoch).toBe(epochs - 1);
    expect(t.stopper.best).toBe(Math.min(...(t.history.history["val_loss"] ?? [])));
    onPage(`training stops after ${epochs} of the allowed 200 epochs`);
    onPage(`the best \`val_loss\`, ${t.stopper.best.toFixed(4)}, came at epoch ${t.stopper.bestEpoch} (counting from 0)`);

    // 7. evaluation: the accuracy, the loss, the confusion matrix, the one miss, the baseline
    const n = t.test.length;
    const correct = Math.round((t.scores["accuracy"] ?? 0) * n);
    expect(t.scores["accuracy"]).toBeGreaterThanOrEqual(0.95);
    onPage(`On the ${n} test birds, the model is right ${correct} times: an accuracy of ${((100 * correct) / n).toFixed(1)} %, with a test loss of ${(t.scores["loss"] ?? 0).toFixed(3)}`);
    for (const [i, name] of ["Adelie", "Chinstrap", "Gentoo"].entries()) onPage(`| **${name}** | ${t.confusion[i]?.join(" | ")} |`);
    expect(t.misses).toHaveLength(n - correct);
    expect(t.misses[0]).toMatchObject({ Species: "Adelie", Island: "Dream", Sex: "FEMALE" });
    onPage(`Adelie from Dream with a ${t.misses[0]?.["Beak Length (mm)"]} mm beak`);
    const majority = ["Adelie", "Chinstrap", "Gentoo"].map((s) => t.train.filter((r) => r["Species"] === s).length);
    expect(Math.max(...majority)).toBe(majority[0]); // Adelie is the most common training species
    const adelieInTest = t.confusion[0]?.reduce((a, b) => a + b, 0) ?? 0;
    onPage(`would score ${adelieInTest} of ${n} (${Math.round((100 * adelieInTest) / n)} %)`);

    // 8. a prediction, 9. the saved model answers the same, bit for bit
    expect(t.probabilities[2]).toBeGreaterThan(0.9999);
    expect(t.metadata["species"]).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    expect(Array.from(t.reloaded.predict(t.testX).data)).toEqual(Array.from(t.model.predict(t.testX).data));
    rmSync(join(t.file, ".."), { recursive: true, force: true });
  });

  it("the CLI command on the page trains on the same file and scores what the page says", () => {
    const command = /^npx backprop (train .*)$/m.exec(page)?.[1];
    expect(command).toBeDefined();
    const args = (command as string).split(/\s+/);
    const out = mkdtempSync(join(tmpdir(), "penguins-cli-"));
    try {
      // NOTE: --save goes to a temporary folder, and --json prints one record per epoch and a summary
      args[args.indexOf("--save") + 1] = join(out, "penguins-model.json");
      const stdout = execFileSync(process.execPath, [join(DOCS, "../cli/dist/main.js"), ...args, "--json"], { cwd: DOCS, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const end = JSON.parse(stdout.trim().split("\n").at(-1) as string) as {
        event: string;
        train: { accuracy: number };
        test: { samples: number; accuracy: number };
      };
      expect(end.event).toBe("end");
      // what the CLI did with the table is stored in the model file it saved
      const saved = JSON.parse(readFileSync(join(out, "penguins-model.json"), "utf8")) as {
        metadata: { backpropCli: { table: { rows: { train: number; validation: number; test: number; dropped: number }; columns: { name: string; categories?: string[] }[] } } };
      };
      const { rows, columns } = saved.metadata.backpropCli.table;
      onPage(`drops every row with a missing cell — ${rows.dropped} of the 344`);
      expect(columns.find((c) => c.name === "Sex")?.categories).toEqual([".", "FEMALE", "MALE"]);
      onPage(`trains on ${rows.train} rows, validates on ${rows.validation} and tests on ${rows.test}`);
      expect(end.test.samples).toBe(rows.test);
      onPage(`scores ${Math.round(end.test.accuracy * end.test.samples)} of ${end.test.samples} on its own test split`);
      expect(end.test.accuracy).toBeGreaterThanOrEqual(0.95);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
