import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { serveStatic } from "./static-server.js";

const APP = fileURLToPath(new URL("..", import.meta.url));
/** The built site; DEMO_DIST points the tests at another build (e.g. an older one, to see a test fail). */
const DIST = process.env["DEMO_DIST"] ?? join(APP, "dist");
export const ARTIFACTS = join(APP, "test-artifacts");
const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

/** A Chromium and a static server for one test file; call at the top level of the file. */
export function useBrowser(): {
  openPage: (hash?: string, viewport?: { width: number; height: number }, options?: BrowserContextOptions) => Promise<Page>;
  shot: (page: Page, name: string, fullPage?: boolean) => Promise<void>;
} {
  let server: { url: string; close: () => Promise<void> } | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;

  beforeAll(async () => {
    if (!existsSync(join(DIST, "index.html"))) throw new Error(`build the demo first (vite build): ${DIST} is missing`);
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run node scripts/ensure-chromium.mjs`);
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
    context = await browser.newContext({ acceptDownloads: true });
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  /** Opens the playground (in a context of its own when `options` are given) once it has drawn its network. */
  async function openPage(hash = "", viewport = { width: 1400, height: 1000 }, options?: BrowserContextOptions): Promise<Page> {
    const ctx = options ? await (browser as Browser).newContext({ acceptDownloads: true, viewport, ...options }) : (context as BrowserContext);
    const page = await ctx.newPage();
    if (options) page.on("close", () => void ctx.close());
    await page.setViewportSize(viewport);
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${(server as { url: string }).url}${hash}`);
    await page.waitForFunction(() => document.querySelector<HTMLElement>("#test-loss")?.dataset["value"] !== undefined);
    expect(errors).toEqual([]);
    return page;
  }

  const shot = async (page: Page, name: string, fullPage = false): Promise<void> => {
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage });
  };
  return { openPage, shot };
}

export const readNumber = (page: Page, selector: string): Promise<number> =>
  page.$eval(selector, (el) => Number((el as HTMLElement).dataset["value"]));

/**
 * The number once it has stopped changing (the same for 3 reads 150 ms apart): after a change of
 * configuration the page rebuilds its network in a worker, and the value shown a moment later may
 * still be the previous network's (seen once in CI, under load).
 */
export async function settledNumber(page: Page, selector: string): Promise<number> {
  let last = await readNumber(page, selector);
  let same = 0;
  for (let i = 0; i < 60 && same < 2; i++) {
    await page.waitForTimeout(150);
    const v = await readNumber(page, selector);
    same = Object.is(v, last) ? same + 1 : 0;
    last = v;
  }
  return last;
}

/** Plays until `maxEpochs` or a test loss below `lossBelow`, then pauses; returns where it stopped. */
export async function playUntil(page: Page, maxEpochs: number, lossBelow: number, speed = "5"): Promise<{ epoch: number; loss: number; ms: number }> {
  await page.selectOption("#speed", speed);
  const start = Date.now();
  await page.click("#play");
  // the predicate returns the numbers it saw, so later epochs (before the pause lands) do not blur them
  const seen = await page.waitForFunction(
    ([max, below]) => {
      const epoch = Number(document.querySelector<HTMLElement>("#epoch")?.dataset["value"]);
      const loss = Number(document.querySelector<HTMLElement>("#test-loss")?.dataset["value"]);
      const failed = document.querySelector("#error:not([hidden])") !== null;
      return epoch >= (max as number) || loss < (below as number) || failed ? { epoch, loss } : false;
    },
    [maxEpochs, lossBelow] as const,
    { timeout: 150_000, polling: "raf" },
  );
  const ms = Date.now() - start;
  const { epoch, loss } = (await seen.jsonValue()) as { epoch: number; loss: number };
  await page.click("#play");
  expect(await page.$eval("#error", (el) => (el as HTMLElement).hidden)).toBe(true);
  return { epoch, loss, ms };
}
