import type { NetworkLayout, NetworkTarget } from "./draw.js";
import type { LayerWeights } from "./protocol.js";

/** What the hover and edit layer over the network picture needs from the page. */
export interface NetworkHoverHost {
  readonly canvas: HTMLCanvasElement;
  readonly tooltip: HTMLElement;
  readonly editor: HTMLFormElement;
  readonly editorInput: HTMLInputElement;
  readonly editorLabel: HTMLElement;
  readonly editorCancel: HTMLButtonElement;
  /** The layout of the last drawing, undefined before the first. */
  layout(): NetworkLayout | undefined;
  /** Weights and gradients of the last snapshot. */
  values(): { weights: readonly LayerWeights[]; gradients: readonly LayerWeights[] } | undefined;
  /** Names of the neurons' columns: inputs, then "hidden layer 1"…, then "output". */
  neuronName(layer: number, unit: number): string;
  /** The pointer entered a neuron (its map is shown large) or left every neuron (undefined). */
  onNeuron(target: { layer: number; unit: number } | undefined): void;
  /** The highlighted target changed (redraw the network with it). */
  onHighlight(target: NetworkTarget | undefined): void;
  /** An edited weight to apply. */
  onEdit(layer: number, from: number, to: number, value: number): void;
}

/** Formats a number for a tooltip: 4 significant digits, exponent for the very small or large. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e-3 && a < 1e4 ? String(Number(v.toPrecision(4))) : v.toExponential(2);
}

/** The text of a target's tooltip: an edge's weight and gradient, a neuron's bias and gradient. */
export function describeTarget(target: NetworkTarget, weights: readonly LayerWeights[], gradients: readonly LayerWeights[], neuronName: (layer: number, unit: number) => string): string {
  if (target.kind === "edge") {
    const w = weights[target.layer]?.kernel[target.from]?.[target.to] ?? Number.NaN;
    const g = gradients[target.layer]?.kernel[target.from]?.[target.to] ?? Number.NaN;
    return `${neuronName(target.layer, target.from)} → ${neuronName(target.layer + 1, target.to)}: weight ${formatValue(w)}, gradient ∂L/∂w ${formatValue(g)} (click to edit)`;
  }
  if (target.layer === 0) return `${neuronName(0, target.unit)} (input)`;
  const b = weights[target.layer - 1]?.bias[target.unit] ?? Number.NaN;
  const g = gradients[target.layer - 1]?.bias[target.unit] ?? Number.NaN;
  return `${neuronName(target.layer, target.unit)}: bias ${formatValue(b)}, gradient ∂L/∂b ${formatValue(g)}`;
}

/**
 * Hover and click on the network picture: a tooltip with an edge's weight and gradient (a
 * neuron's bias), the hovered neuron's map shown large, and a small form to type a new weight for
 * a clicked edge. Keyboard users reach the same through the editor's field once it is open; Escape
 * closes it.
 */
export function mountNetworkHover(host: NetworkHoverHost): { refresh(): void; editing(): boolean } {
  let hovered: NetworkTarget | undefined;
  let edited: Extract<NetworkTarget, { kind: "edge" }> | undefined;
  /** Where focus was before the editor opened, to return it there. */
  let returnFocus: HTMLElement | undefined;

  const point = (e: PointerEvent | MouseEvent): { x: number; y: number } => {
    const box = host.canvas.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  };
  const place = (el: HTMLElement, target: NetworkTarget): void => {
    const layout = host.layout();
    if (!layout) return;
    const at = layout.anchor(target);
    const width = host.canvas.getBoundingClientRect().width;
    // NOTE: kept inside the picture, so a tooltip at the right edge does not widen the page
    el.style.left = `${Math.max(0, Math.min(at.x + 12, width - 260))}px`;
    el.style.top = `${at.y + 12}px`;
  };
  const showTooltip = (): void => {
    const values = host.values();
    if (!hovered || !values) {
      host.tooltip.hidden = true;
      return;
    }
    host.tooltip.textContent = describeTarget(hovered, values.weights, values.gradients, host.neuronName);
    host.tooltip.hidden = false;
    place(host.tooltip, hovered);
  };
  const same = (a: NetworkTarget | undefined, b: NetworkTarget | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

  host.canvas.addEventListener("pointermove", (e) => {
    const layout = host.layout();
    if (!layout) return;
    const { x, y } = point(e);
    const target = layout.hitTest(x, y);
    if (same(target, hovered)) {
      showTooltip();
      return;
    }
    hovered = target;
    host.canvas.style.cursor = target?.kind === "edge" ? "pointer" : "default";
    host.onHighlight(edited ?? hovered);
    host.onNeuron(target?.kind === "neuron" ? { layer: target.layer, unit: target.unit } : undefined);
    showTooltip();
  });
  host.canvas.addEventListener("pointerleave", () => {
    hovered = undefined;
    host.tooltip.hidden = true;
    host.onHighlight(edited);
    host.onNeuron(undefined);
  });
  host.canvas.addEventListener("click", (e) => {
    const layout = host.layout();
    const values = host.values();
    if (!layout || !values) return;
    const { x, y } = point(e);
    const target = layout.hitTest(x, y);
    if (target?.kind !== "edge") return;
    edited = target;
    returnFocus = document.activeElement instanceof HTMLElement && document.activeElement !== document.body ? document.activeElement : undefined;
    host.editorLabel.textContent = `Weight ${host.neuronName(target.layer, target.from)} → ${host.neuronName(target.layer + 1, target.to)}`;
    host.editorInput.value = String(values.weights[target.layer]?.kernel[target.from]?.[target.to] ?? 0);
    host.editor.hidden = false;
    place(host.editor, target);
    host.tooltip.hidden = true;
    host.onHighlight(target);
    host.editorInput.focus();
    host.editorInput.select();
  });
  const close = (): void => {
    host.editor.hidden = true;
    edited = undefined;
    host.onHighlight(hovered);
    if (returnFocus?.isConnected) returnFocus.focus({ preventScroll: true });
    else host.editorInput.blur();
    returnFocus = undefined;
  };
  host.editor.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Number(host.editorInput.value);
    if (!edited || host.editorInput.value.trim() === "" || !Number.isFinite(v)) {
      host.editorInput.setAttribute("aria-invalid", "true");
      return;
    }
    host.editorInput.setAttribute("aria-invalid", "false");
    host.onEdit(edited.layer, edited.from, edited.to, v);
    close();
  });
  host.editorCancel.addEventListener("click", close);
  host.editor.addEventListener("keydown", (e) => {
    if (e.key === "Escape") close();
  });
  return {
    refresh: showTooltip,
    editing: () => edited !== undefined,
  };
}
