import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type DefaultTheme } from "vitepress";

const sidebarFile = fileURLToPath(new URL("./api-sidebar.json", import.meta.url));
// Written by scripts/generate.ts; `vitepress dev` without it still starts, with an empty API sidebar.
const apiSidebar: DefaultTheme.SidebarItem[] = existsSync(sidebarFile)
  ? (JSON.parse(readFileSync(sidebarFile, "utf8")) as DefaultTheme.SidebarItem[])
  : [];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: "Introduction",
    items: [
      { text: "Getting started", link: "/guide/getting-started" },
      { text: "Tutorial: a real table", link: "/guide/tutorial-tabular" },
      { text: "Backpropagation, step by step", link: "/guide/concepts" },
    ],
  },
  {
    text: "Guides",
    items: [
      { text: "Tensors, kernels and RNG", link: "/guide/linalg" },
      { text: "Activations", link: "/guide/activations" },
      { text: "Optimizers", link: "/guide/optimizers" },
      { text: "Layers and training", link: "/guide/training" },
      { text: "Convolutional networks", link: "/guide/convolutional" },
      { text: "Time series", link: "/guide/time-series" },
      { text: "Text generation", link: "/guide/text-generation" },
      { text: "Saving and exporting", link: "/guide/serialization" },
      { text: "Extending Backprop", link: "/guide/extending" },
      { text: "Browser, bundlers and Web Workers", link: "/guide/browser" },
      { text: "Troubleshooting and FAQ", link: "/guide/troubleshooting" },
    ],
  },
  {
    text: "Coming from…",
    items: [
      { text: "brain.js", link: "/guide/from-brainjs" },
      { text: "TensorFlow.js", link: "/guide/from-tfjs" },
    ],
  },
  {
    text: "More",
    items: [
      { text: "Performance", link: "/performance" },
      { text: "Changelog", link: "/changelog" },
      { text: "CLI reference", link: "/reference/cli" },
      { text: "Error codes", link: "/reference/errors" },
      { text: "API reference", link: "/reference/api/" },
    ],
  },
];

export default defineConfig({
  title: "Backprop",
  description: "Neural networks trained by backpropagation, in TypeScript, from first principles.",
  // NOTE: head links are not prefixed with `base`; change the path if the site moves under one.
  head: [["link", { rel: "icon", type: "image/svg+xml", href: "/favicon.svg" }]],
  srcDir: "src",
  outDir: "dist",
  cleanUrls: false,
  lastUpdated: false,
  appearance: "dark",
  // Internal dead links fail the build; the tests also check anchors (test/links.test.ts).
  ignoreDeadLinks: false,
  markdown: {
    math: true,
    lineNumbers: false,
  },
  themeConfig: {
    nav: [
      { text: "Guide", link: "/guide/getting-started", activeMatch: "^/guide/" },
      { text: "CLI", link: "/reference/cli" },
      { text: "API", link: "/reference/api/", activeMatch: "^/reference/api/" },
      { text: "Performance", link: "/performance" },
    ],
    sidebar: {
      "/guide/": guide,
      "/performance": guide,
      "/reference/cli": guide,
      "/reference/errors": guide,
      "/changelog": guide,
      "/reference/api/": apiSidebar,
    },
    search: { provider: "local" },
    outline: { level: [2, 3] },
    footer: { message: "Every number on these pages is computed by the library when the site is built." },
  },
});
