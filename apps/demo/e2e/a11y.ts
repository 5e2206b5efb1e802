// Accessibility checks for the browser tests: axe-core's violations and touch targets below 44 px.
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

/** One axe-core violation, reduced to what a failing test should print. */
export interface AxeViolation {
  /** Rule id, e.g. `"color-contrast"`. */
  readonly id: string;
  /** `"minor"` … `"critical"`, or null when axe gives none. */
  readonly impact: string | null;
  /** One-line description of the rule. */
  readonly help: string;
  /** CSS selectors of the offending elements. */
  readonly targets: string[];
}

/** A visible control whose box is smaller than the minimum touch target. */
export interface SmallTarget {
  /** A selector that names it (id, or tag and classes, plus its text). */
  readonly selector: string;
  /** CSS px. */
  readonly width: number;
  /** CSS px. */
  readonly height: number;
}

const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** The part of axe's API the page is asked to run (axe-core's own types stay out of the page). */
interface AxeInPage {
  run(
    context: unknown,
    options: { resultTypes: string[] },
  ): Promise<{ violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] }[] }>;
}

/**
 * Runs axe-core on the page (on `context`, a CSS selector, or the whole document) and returns its
 * violations. axe is injected once per page, from apps/demo's own axe-core.
 *
 * @example
 * ```ts
 * expect(await axeViolations(page)).toEqual([]);
 * ```
 */
export async function axeViolations(page: Page, context?: string): Promise<AxeViolation[]> {
  // NOTE: a reload drops the script, so check the page rather than remembering the Page object
  const loaded = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe === "object");
  if (!loaded) await page.addScriptTag({ path: AXE_PATH });
  return page.evaluate(async (selector) => {
    const axe = (window as unknown as { axe: AxeInPage }).axe;
    const result = await axe.run(selector ?? document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      // a target inside a shadow root or an iframe is a list of selectors: join it to one string
      targets: v.nodes.map((n) => n.target.map((t) => (Array.isArray(t) ? t.join(" >>> ") : String(t))).join(" ")),
    }));
  }, context);
}

/**
 * Visible interactive elements (button, a[href], select, input, [role=button], and the label that
 * wraps or names a checkbox or radio) whose box is smaller than `min` × `min` CSS px. A checkbox or
 * radio counts through its label when it has one: that is what a finger presses.
 *
 * @example
 * ```ts
 * expect(await smallTouchTargets(page, 44)).toEqual([]);
 * ```
 */
export async function smallTouchTargets(page: Page, min = 44): Promise<SmallTarget[]> {
  return page.evaluate((least) => {
    const visible = (el: Element): boolean => {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) return false;
      if (el.closest("[hidden], [inert]")) return false;
      const style = getComputedStyle(el);
      return style.visibility !== "hidden" && style.display !== "none";
    };
    const describe = (el: Element): string => {
      const text = (el.textContent ?? "").trim().replace(/\s+/g, " ").slice(0, 30);
      const id = el.id ? `#${el.id}` : "";
      const classes = [...el.classList].map((c) => `.${c}`).join("");
      const name = id || `${el.tagName.toLowerCase()}${classes}`;
      return text ? `${name} "${text}"` : name;
    };
    const isToggle = (el: Element): el is HTMLInputElement =>
      el instanceof HTMLInputElement && (el.type === "checkbox" || el.type === "radio");
    const targets = new Set<Element>();
    for (const el of document.querySelectorAll("button, a[href], select, input, textarea, [role=button]")) {
      if (el instanceof HTMLInputElement && el.type === "hidden") continue;
      if (isToggle(el)) {
        // a checkbox is pressed through its label; a visually hidden one only through it
        const labels = el.labels ? [...el.labels].filter(visible) : [];
        if (labels.length > 0) {
          for (const label of labels) targets.add(label);
          continue;
        }
      }
      // a visually hidden control (1 × 1 px: a file input behind its label) is reached through the label
      const tiny = el.getBoundingClientRect().width <= 1 && el.getBoundingClientRect().height <= 1;
      if (el instanceof HTMLInputElement && el.labels && el.labels.length > 0 && tiny) {
        for (const label of el.labels) targets.add(label);
        continue;
      }
      targets.add(el);
    }
    const small: { selector: string; width: number; height: number }[] = [];
    for (const el of targets) {
      if (!visible(el)) continue;
      const box = el.getBoundingClientRect();
      if (box.width < least - 0.5 || box.height < least - 0.5) small.push({ selector: describe(el), width: box.width, height: box.height });
    }
    return small;
  }, min);
}
