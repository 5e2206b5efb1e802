import type { Theme } from "vitepress";
import DefaultTheme from "vitepress/theme";
import { BenchChartView } from "./bench-chart.js";
import { NetworkDiagramView } from "./network-diagram.js";
import "./style.css";

// The default theme, plus the two drawings the pages use as global components:
// <BenchChart> (performance page) and <NetworkDiagram> (Backpropagation, step by step).
export default {
  extends: DefaultTheme,
  enhanceApp({ app }) {
    app.component("BenchChart", BenchChartView);
    app.component("NetworkDiagram", NetworkDiagramView);
  },
} satisfies Theme;
