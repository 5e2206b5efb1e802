import { readFileSync } from "node:fs";
import { referenceExample, type ReferenceValues } from "@backprop/layers";
import { modelFromJSON } from "@backprop/serialize";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { generateDataset, splitDataset } from "../src/datasets.js";
import { buildModel, pointsToMatrices } from "../src/model.js";
import { DEFAULT_STATE, decodeState } from "../src/state.js";
import { playUntil, readNumber, settledNumber, useBrowser } from "./harness.js";

// Circle data set, default network (DEFAULT_STATE: sines as extra features, 8-8 tanh, Adam lr 0.01,
// batch 20): the test loss (binary cross-entropy) must fall below LOSS_THRESHOLD within MAX_EPOCHS.
const LOSS_THRESHOLD = 0.05;
const MAX_EPOCHS = 300;

const { openPage, shot } = useBrowser();

describe("the playground in Chromium", () => {
  it(`trains the circle data set below test loss ${LOSS_THRESHOLD} within ${MAX_EPOCHS} epochs`, async () => {
    const points = generateDataset("circle", { noise: 0, seed: DEFAULT_STATE.dataSeed });
    const { train, test } = splitDataset(points, DEFAULT_STATE.trainRatio / 100);
    const te = pointsToMatrices(test, DEFAULT_STATE);
    const page = await openPage();
    expect(await page.inputValue("#dataset")).toBe("circle");
    const initial = await readNumber(page, "#test-loss");
    expect(initial).toBeGreaterThan(0.3); // an untrained network guesses
    await shot(page, "desktop-initial");
    // one epoch per frame, so the epoch read is the first one below the threshold
    const run = await playUntil(page, MAX_EPOCHS, LOSS_THRESHOLD, "1");
    console.log(`circle: test loss ${run.loss.toFixed(4)} at epoch ${run.epoch} after ${(run.ms / 1000).toFixed(2)} s`);
    expect(run.loss).toBeLessThan(LOSS_THRESHOLD);
    expect(run.epoch).toBeLessThanOrEqual(MAX_EPOCHS);
    await shot(page, "desktop-trained");
    await shot(page, "desktop-trained-full", true);

    // Stepping epoch by epoch in the browser gives the numbers Node gives for the same state (to the
    // last bits: Chromium's and Node's Math.tanh/exp may differ by an ulp).
    const model = buildModel(DEFAULT_STATE);
    const tr = pointsToMatrices(train, DEFAULT_STATE);
    await page.click("#reset");
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#epoch")?.dataset["value"] === "0");
    for (let epoch = 1; epoch <= 15; epoch++) {
      await page.click("#step");
      await page.waitForFunction((e) => document.querySelector<HTMLElement>("#epoch")?.dataset["value"] === String(e), epoch);
      model.fit(tr.x, tr.y, { epochs: 1, batchSize: DEFAULT_STATE.batchSize });
      const want = model.evaluate(te.x, te.y).loss as number;
      const got = await readNumber(page, "#test-loss");
      expect(Math.abs(got - want) / want, `epoch ${epoch}: ${got} vs ${want}`).toBeLessThan(1e-9);
    }

    // The trained model downloads as a native JSON model file.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export")]);
    const text = readFileSync((await download.path()) as string, "utf8");
    const file = JSON.parse(text) as { format: string; model: { layers: unknown[] }; weights: { name: string; shape: number[] }[]; metadata: { playground: string } };
    expect(file.format).toBe("backprop-model");
    expect(file.model.layers).toHaveLength(DEFAULT_STATE.hidden.length + 1);
    expect(file.weights[0]).toMatchObject({ name: "layers.0.kernel", shape: [DEFAULT_STATE.features.length, DEFAULT_STATE.hidden[0]] });
    expect(decodeState(file.metadata.playground)).toEqual(DEFAULT_STATE);
    // …which @backprop/serialize loads back in Node into a model that classifies the circle.
    const loaded = modelFromJSON(text);
    expect(loaded.evaluate(te.x, te.y).loss).toBeLessThan(0.15);
    await page.close();
  });

  it("retrains after the activation changes", async () => {
    const page = await openPage();
    await page.selectOption("#activation", "relu");
    await page.waitForFunction(() => location.hash.includes("activation=relu"));
    expect(await readNumber(page, "#epoch")).toBe(0);
    const initial = await readNumber(page, "#test-loss");
    const run = await playUntil(page, 100, 0.1);
    expect(run.epoch).toBeGreaterThan(0);
    expect(run.loss).toBeLessThan(initial * 0.5);

    // an invalid hyperparameter is reported on the page, not thrown away
    await page.fill("#hp-beta1", "1");
    await page.press("#hp-beta1", "Tab");
    await expect.poll(() => page.textContent("#error")).toContain("beta1");
    expect(await page.isHidden("#error")).toBe(false);
    await page.fill("#hp-beta1", "0.8");
    await page.press("#hp-beta1", "Tab");
    await expect.poll(() => page.isHidden("#error")).toBe(true);
    await page.close();
  });

  it("trains with a custom activation typed as a formula", async () => {
    const page = await openPage();
    await page.selectOption("#activation", "formula");
    await page.fill("#formula-f", "foo(x)");
    await page.click("#formula-apply");
    await expect.poll(() => page.textContent("#formula-note")).toContain("unknown function foo");
    expect(await page.$eval("#formula-f", (el) => el.getAttribute("aria-invalid"))).toBe("true");

    await page.fill("#formula-f", "x / (1 + x^2)");
    await page.fill("#formula-df", "");
    await page.press("#formula-f", "Enter");
    await expect.poll(() => page.textContent("#formula-note")).toContain("numerically");
    await page.waitForFunction(() => location.hash.includes("activation=formula"));
    expect(decodeState(await page.evaluate(() => location.hash)).formulaF).toBe("x / (1 + x^2)");
    // the rejected formula cleared the numbers; the new network's first picture brings them back
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#test-loss")?.dataset["value"] !== undefined);
    const initial = await readNumber(page, "#test-loss");
    const run = await playUntil(page, 150, 0.1);
    expect(run.epoch).toBeGreaterThan(0);
    expect(run.loss).toBeLessThan(initial * 0.5);
    await shot(page, "desktop-custom-activation");

    // With an explicit derivative the note says so and training still works.
    await page.fill("#formula-df", "(1 - x^2) / (1 + x^2)^2");
    await page.click("#formula-apply");
    await expect.poll(() => page.textContent("#formula-note")).toContain("Using your f′(x)");
    const again = await playUntil(page, 20, 0);
    expect(again.epoch).toBeGreaterThanOrEqual(20);
    await page.close();
  });

  it("steps through backprop and shows the reference numbers", async () => {
    const page = await openPage();
    // the stepper opens on the playground's own network; the classic example is one click away
    await page.check("#bp-mode-classic");
    const check = async (expected: ReferenceValues): Promise<number> => {
      const shown = await page.$$eval("#bp-view .num", (els) =>
        els.map((el) => [(el as HTMLElement).dataset["key"] as string, Number((el as HTMLElement).dataset["value"]), el.textContent ?? ""] as const),
      );
      const byKey = new Map(shown.map(([k, v, text]) => [k, { v, text }]));
      let compared = 0;
      for (const [name, value] of Object.entries(expected) as [string, number | number[] | number[][]][]) {
        const flat: [string, number][] =
          typeof value === "number"
            ? [[name, value]]
            : value.flatMap((row, i) => (Array.isArray(row) ? row.map((x, j) => [`${name}.${i}.${j}`, x] as [string, number]) : [[`${name}.${i}`, row] as [string, number]]));
        for (const [key, want] of flat) {
          const got = byKey.get(key);
          expect(got, key).toBeDefined();
          expect(Math.abs((got as { v: number }).v - want), key).toBeLessThan(1e-12);
          expect(Number((got as { text: string }).text), `${key} as displayed`).toBeCloseTo(want, 8);
          compared++;
        }
      }
      return compared;
    };
    const stagesShown = (): Promise<number> => page.$$eval("#bp-view section.stage", (els) => els.length);
    expect(await stagesShown()).toBe(0);
    for (let stage = 1; stage <= 6; stage++) {
      await page.click("#bp-next");
      expect(await stagesShown()).toBe(stage);
    }
    expect(await page.isDisabled("#bp-next")).toBe(true);
    expect(await check(referenceExample.biasesUpdated)).toBe(7 * 2 + 2 + 12);
    await page.locator("#h-backprop").scrollIntoViewIfNeeded();
    await shot(page, "desktop-backprop", true);

    await page.check("#bp-frozen");
    expect(await check(referenceExample.biasesFrozen)).toBe(7 * 2 + 2 + 12);
    await page.click("#bp-restart");
    expect(await stagesShown()).toBe(0);
    await page.close();
  });

  it("restores the whole configuration from a shared URL", async () => {
    const page = await openPage();
    await page.selectOption("#problem", "regression");
    await page.selectOption("#dataset", "multiGauss");
    await page.check("#feature-x1x2");
    await page.check("#feature-sinx1");
    await page.uncheck("#feature-sinx2");
    await page.click("#add-layer");
    await page.click('button[aria-label="Add a neuron to layer 3"]');
    await page.selectOption("#optimizer", "sgd");
    await page.fill("#hp-momentum", "0.9");
    await page.press("#hp-momentum", "Tab");
    await page.check("#hp-nesterov");
    await page.fill("#lr", "0.01");
    await page.press("#lr", "Tab");
    await page.selectOption("#regularization", "l2");
    await page.fill("#reg-rate", "0.003");
    await page.press("#reg-rate", "Tab");
    await page.selectOption("#activation", "elu");
    await page.click("#regenerate");
    const href = await page.$eval("#share", (a) => (a as HTMLAnchorElement).href);
    const expected = decodeState(new URL(href).hash);
    expect(expected).toMatchObject({
      problem: "regression", dataset: "multiGauss", features: ["x1", "x2", "x1x2", "sinx1"], hidden: [8, 8, 3],
      optimizer: "sgd", lr: 0.01, regularization: "l2", regRate: 0.003, activations: ["elu", "elu", "elu"], dataSeed: 2,
    });
    expect(expected.hyper).toMatchObject({ momentum: 0.9, nesterov: true });
    const controls = (p: Page) =>
      p.evaluate(() => {
        const v = (id: string) => (document.getElementById(id) as HTMLInputElement).value;
        const c = (id: string) => (document.getElementById(id) as HTMLInputElement).checked;
        return {
          problem: v("problem"), dataset: v("dataset"), activation: v("activation"), optimizer: v("optimizer"),
          lr: v("lr"), reg: v("regularization"), regRate: v("reg-rate"), momentum: v("hp-momentum"), nesterov: c("hp-nesterov"),
          features: [...document.querySelectorAll<HTMLInputElement>("#features input")].map((i) => i.checked),
          layers: [...document.querySelectorAll("#layer-controls .layer span")].map((s) => s.textContent),
        };
      });
    const before = await controls(page);
    const trainedBefore = await settledNumber(page, "#test-loss");

    const other = await openPage(new URL(href).hash);
    expect(await controls(other)).toEqual(before);
    expect(decodeState(await other.evaluate(() => location.hash))).toEqual(expected);
    // same data, same seed: the untrained network's loss is reproduced exactly
    expect(await settledNumber(other, "#test-loss")).toBe(trainedBefore);
    await other.reload();
    await other.waitForFunction(() => document.querySelector<HTMLElement>("#test-loss")?.dataset["value"] !== undefined);
    expect(await controls(other)).toEqual(before);
    await other.close();
    await page.close();
  });

  it("fits a phone-sized viewport with labelled controls", async () => {
    const page = await openPage("", { width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    const unlabelled = await page.$$eval("input, select, button", (els) =>
      els
        .filter((el) => !(el as HTMLElement).closest("[hidden]"))
        .filter((el) => {
          const e = el as HTMLInputElement;
          const named = e.getAttribute("aria-label") || (e.labels && e.labels.length > 0) || (el.tagName === "BUTTON" && el.textContent?.trim());
          return !named;
        })
        .map((el) => el.id || el.outerHTML.slice(0, 60)),
    );
    expect(unlabelled).toEqual([]);
    await page.click("#play");
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>("#epoch")?.dataset["value"]) >= 30);
    await page.click("#play");
    await shot(page, "phone-trained");
    await shot(page, "phone-full", true);
    // keyboard: focus reaches the play button and space toggles it
    await page.focus("#play");
    await page.keyboard.press("Space");
    expect(await page.getAttribute("#play", "aria-pressed")).toBe("true");
    await page.keyboard.press("Space");
    expect(await page.getAttribute("#play", "aria-pressed")).toBe("false");
    // a neuron removed from the keyboard keeps the focus on the button that removed it
    await page.focus("#layer-0-remove");
    await page.keyboard.press("Enter");
    expect(await page.textContent("#layer-controls .layer span")).toBe(`${DEFAULT_STATE.hidden[0]! - 1} neurons`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("layer-0-remove");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("layer-0-add");
    await page.close();
  });
});
