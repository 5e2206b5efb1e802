// Issue 15, "Quality bars": axe-core finds nothing in the states the tests reach, and every
// control is a 44 × 44 px touch target on a phone.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { axeViolations, smallTouchTargets } from "./a11y.js";
import { playUntil, useBrowser } from "./harness.js";

const { openPage, shot } = useBrowser();

/** Runs axe-core and fails with its findings listed, one per line. */
async function expectAccessible(page: Page, state: string): Promise<void> {
  const found = await axeViolations(page);
  const lines = found.map((v) => `${state}: ${v.id} (${v.impact}) ${v.help} — ${v.targets.slice(0, 3).join(", ")}`);
  expect(lines, lines.join("\n")).toEqual([]);
}

describe("issue 15: quality bars", () => {
  it("axe-core: 0 violations in every state the tests reach", async () => {
    const page = await openPage();
    await expectAccessible(page, "first visit");
    await playUntil(page, 20, 0, "5");
    await expectAccessible(page, "trained, paused");

    // the stepper on the user's network, every stage revealed
    await page.click("#bp-next");
    for (let i = 0; i < 40 && !(await page.isDisabled("#bp-next")); i++) await page.click("#bp-next");
    await expectAccessible(page, "backprop stepper, all stages");

    // multiclass with its confusion matrix, compare mode, view options
    await page.selectOption("#dataset", "blobs3");
    await page.selectOption("#compare", "sgd");
    await page.check("#discretize");
    await page.check("#log-loss");
    await playUntil(page, 10, 0, "5");
    await expectAccessible(page, "multiclass, compared, discretized");

    // a rejected value (an error message and an invalid field)
    await page.fill("#lr", "-3");
    await page.selectOption("#optimizer", "adam");
    await page.fill("#hp-beta1", "2");
    await page.press("#hp-beta1", "Tab");
    await expect.poll(() => page.isHidden("#error")).toBe(false);
    await expectAccessible(page, "rejected hyperparameter");

    // the weight editor open over the network
    await page.fill("#hp-beta1", "0.9");
    await page.press("#hp-beta1", "Tab");
    await expect.poll(() => page.isHidden("#error")).toBe(true);
    const box = (await page.locator("#network").boundingBox())!;
    for (let y = box.y + 2; y < box.y + box.height && (await page.isHidden("#weight-editor")); y += 3) {
      await page.mouse.click(box.x + box.width * 0.3, y);
    }
    expect(await page.isVisible("#weight-editor")).toBe(true);
    await expectAccessible(page, "weight editor open");
    await page.close();
  });

  it("touch targets are at least 44 × 44 CSS px on a phone", async () => {
    const page = await openPage("", { width: 390, height: 844 }, { deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await page.click("#bp-next");
    const small = await smallTouchTargets(page, 44);
    const lines = small.map((t) => `${t.selector}: ${t.width.toFixed(0)}×${t.height.toFixed(0)}`);
    console.log(`touch targets below 44 px on a 390 px phone: ${lines.length === 0 ? "none" : lines.join(", ")}`);
    expect(lines).toEqual([]);
    await expectAccessible(page, "phone");
    await shot(page, "phone-full-features", true);
    await page.close();
  });
});
