import { DOMAIN, type Point } from "./datasets.js";
import type { LossCurve } from "./loss-history.js";
import type { LayerWeights } from "./protocol.js";

const NEG = [245, 147, 34] as const; // orange
const POS = [8, 119, 189] as const; // blue
const MID = [232, 234, 235] as const;

/** RGB of a value in [−1, 1] (clamped): orange, light grey at 0, blue. */
export function colorOf(v: number): readonly [number, number, number] {
  const t = Math.max(-1, Math.min(1, Number.isFinite(v) ? v : 0));
  const end = t < 0 ? NEG : POS;
  const a = Math.abs(t);
  return [MID[0] + (end[0] - MID[0]) * a, MID[1] + (end[1] - MID[1]) * a, MID[2] + (end[2] - MID[2]) * a];
}

function css(rgb: readonly [number, number, number], alpha = 1): string {
  return `rgba(${rgb[0] | 0}, ${rgb[1] | 0}, ${rgb[2] | 0}, ${alpha})`;
}

/** A `size × size` image of `values[offset … offset + size²)`, each divided by `scale`. */
function heatImage(values: Float32Array, offset: number, size: number, scale: number): ImageData {
  const img = new ImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = colorOf((values[offset + i] as number) / scale);
    img.data[4 * i] = r;
    img.data[4 * i + 1] = g;
    img.data[4 * i + 2] = b;
    img.data[4 * i + 3] = 255;
  }
  return img;
}

const scratch = new Map<number, HTMLCanvasElement>();
function scratchCanvas(size: number): HTMLCanvasElement {
  let c = scratch.get(size);
  if (!c) {
    c = document.createElement("canvas");
    c.width = size;
    c.height = size;
    scratch.set(size, c);
  }
  return c;
}

function blit(ctx: CanvasRenderingContext2D, img: ImageData, x: number, y: number, w: number, h: number, smooth: boolean): void {
  const tmp = scratchCanvas(img.width);
  (tmp.getContext("2d") as CanvasRenderingContext2D).putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = smooth;
  ctx.drawImage(tmp, x, y, w, h);
}

/**
 * Sizes a canvas's backing store to the device pixels it covers (its CSS width × devicePixelRatio)
 * and returns its context scaled so drawing code uses `width × height` logical units: crisp on a
 * phone's 2×/3× screen, and no larger than needed on a 1× one.
 */
export function prepareCanvas(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const ratio = typeof devicePixelRatio === "number" && devicePixelRatio > 0 ? devicePixelRatio : 1;
  // NOTE: the CSS width does not depend on the backing size (width: 100%), and the CSS height
  // follows from the aspect ratio set here, so resizing the backing store causes no re-layout loop.
  canvas.style.aspectRatio = `${width} / ${height}`;
  const shown = canvas.getBoundingClientRect().width;
  const cssWidth = shown > 0 ? shown : width;
  const scale = (cssWidth / width) * ratio;
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext("2d") as CanvasRenderingContext2D;
  ctx.setTransform(w / width, 0, 0, h / height, 0, 0);
  return ctx;
}

/** Logical width of the network picture. */
const NETWORK_WIDTH = 720;
/** Logical size of the output heatmap. */
const OUTPUT_SIZE = 500;
/** Logical size of the loss chart. */
const LOSS_WIDTH = 600;
const LOSS_HEIGHT = 110;

/** What {@link drawNetwork} draws. */
export interface NetworkPicture {
  readonly inputLabels: readonly string[];
  readonly weights: readonly LayerWeights[];
  /** Per layer (inputs first), neuron-major maps over the grid. */
  readonly maps: readonly Float32Array[];
  readonly grid: number;
  /** Whether the output is a probability (mapped to [−1, 1] as 2p − 1). */
  readonly probabilityOutput: boolean;
}

/**
 * The network as columns of neurons, each a small heatmap of its output over the plane, joined by
 * edges whose colour is the weight's sign and whose width is its size.
 */
export function drawNetwork(canvas: HTMLCanvasElement, pic: NetworkPicture): void {
  const widths = [pic.inputLabels.length, ...pic.weights.map((w) => w.bias.length)];
  const gap = 50;
  // NOTE: the height follows the widest layer, so a small network does not float in white space
  const height = Math.max(4, ...widths) * gap + 20;
  const ctx = prepareCanvas(canvas, NETWORK_WIDTH, height);
  const W = NETWORK_WIDTH;
  const H = height;
  ctx.clearRect(0, 0, W, H);
  const cols = widths.length;
  const box = 38;
  const left = 70;
  const right = W - 30;
  const colX = (c: number): number => (cols === 1 ? left : left + ((right - left - box) * c) / (cols - 1));
  const rowY = (c: number, r: number): number => {
    const n = widths[c] as number;
    return H / 2 - (n * gap) / 2 + r * gap + (gap - box) / 2;
  };
  // edges first, below the boxes
  pic.weights.forEach((layer, li) => {
    layer.kernel.forEach((row, i) => {
      row.forEach((w, j) => {
        const x0 = colX(li) + box;
        const y0 = rowY(li, i) + box / 2;
        const x1 = colX(li + 1);
        const y1 = rowY(li + 1, j) + box / 2;
        ctx.strokeStyle = css(colorOf(w > 0 ? 1 : -1), Math.min(1, 0.25 + Math.abs(w) * 0.5));
        ctx.lineWidth = Math.min(7, 0.5 + Math.abs(w) * 2);
        ctx.beginPath();
        ctx.moveTo(x0, y0);
        ctx.bezierCurveTo((x0 + x1) / 2, y0, (x0 + x1) / 2, y1, x1, y1);
        ctx.stroke();
      });
    });
  });
  const area = pic.grid * pic.grid;
  widths.forEach((n, c) => {
    const values = pic.maps[c];
    for (let r = 0; r < n; r++) {
      const x = colX(c);
      const y = rowY(c, r);
      if (values) {
        let scale = 1;
        if (c === 0) {
          // inputs span different ranges (x₁ to ±6, x₁² to 36): show each on its own scale
          scale = 0;
          for (let i = 0; i < area; i++) scale = Math.max(scale, Math.abs(values[r * area + i] as number));
          scale ||= 1;
        }
        const img = heatImage(values, r * area, pic.grid, scale);
        if (c === cols - 1 && pic.probabilityOutput) {
          for (let i = 0; i < area; i++) {
            const [cr, cg, cb] = colorOf(2 * (values[i] as number) - 1);
            img.data[4 * i] = cr;
            img.data[4 * i + 1] = cg;
            img.data[4 * i + 2] = cb;
          }
        }
        blit(ctx, img, x, y, box, box, true);
      }
      ctx.strokeStyle = "#555";
      ctx.lineWidth = 1;
      ctx.strokeRect(x + 0.5, y + 0.5, box - 1, box - 1);
    }
  });
  ctx.fillStyle = "#333";
  ctx.font = "14px system-ui, sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  pic.inputLabels.forEach((label, r) => ctx.fillText(label, colX(0) - 8, rowY(0, r) + box / 2));
}

/** What {@link drawOutput} draws. */
export interface OutputPicture {
  /** The output unit's values over the grid (row 0 at the top). */
  readonly values: Float32Array | undefined;
  readonly grid: number;
  readonly probabilityOutput: boolean;
  readonly train: readonly Point[];
  readonly test: readonly Point[];
  readonly showTest: boolean;
  readonly regression: boolean;
}

/** The output over the plane (decision boundary for classes) with the data points on top. */
export function drawOutput(canvas: HTMLCanvasElement, pic: OutputPicture): void {
  const ctx = prepareCanvas(canvas, OUTPUT_SIZE, OUTPUT_SIZE);
  const W = OUTPUT_SIZE;
  const H = OUTPUT_SIZE;
  ctx.clearRect(0, 0, W, H);
  if (pic.values) {
    const img = new ImageData(pic.grid, pic.grid);
    for (let i = 0; i < pic.grid * pic.grid; i++) {
      const v = pic.values[i] as number;
      const [r, g, b] = colorOf(pic.probabilityOutput ? 2 * v - 1 : v);
      // NOTE: a paler background than the points, so points of either class stay visible on it
      img.data.set([r * 0.6 + 102, g * 0.6 + 102, b * 0.6 + 102, 255], 4 * i);
    }
    blit(ctx, img, 0, 0, W, H, true);
  }
  const toPx = (v: number): number => ((v + DOMAIN) / (2 * DOMAIN)) * W;
  const dot = (p: Point, stroke: string): void => {
    const label = pic.regression ? p.label : p.label > 0.5 ? 1 : -1;
    ctx.fillStyle = css(colorOf(label));
    ctx.strokeStyle = stroke;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    ctx.arc(toPx(p.x), H - toPx(p.y), W / 110, 0, 2 * Math.PI);
    ctx.fill();
    ctx.stroke();
  };
  for (const p of pic.train) dot(p, "#fff");
  if (pic.showTest) for (const p of pic.test) dot(p, "#000");
  ctx.fillStyle = "rgba(0,0,0,0.55)";
  ctx.font = "12px system-ui, sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillText(`x₁ ∈ [−${DOMAIN}, ${DOMAIN}], x₂ ∈ [−${DOMAIN}, ${DOMAIN}]`, 6, H - 4);
}

/** The largest finite value of some arrays (a loop: spreading 10⁵ values into Math.max overflows the stack). */
function finiteMax(...arrays: readonly (readonly number[])[]): number {
  let max = -Infinity;
  for (const values of arrays) for (const v of values) if (Number.isFinite(v) && v > max) max = v;
  return max;
}

/** Training (dark) and test (blue) data loss over the epochs, from a down-sampled curve. */
export function drawLoss(canvas: HTMLCanvasElement, curve: LossCurve, now: { epoch: number; train: number; test: number }): void {
  const ctx = prepareCanvas(canvas, LOSS_WIDTH, LOSS_HEIGHT);
  const W = LOSS_WIDTH;
  const H = LOSS_HEIGHT;
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#fafafa";
  ctx.fillRect(0, 0, W, H);
  // the curve holds every k-th epoch; the current one is appended so the line reaches "now"
  const last = curve.epochs.length > 0 && curve.epochs[curve.epochs.length - 1] === now.epoch;
  const epochs = last ? curve.epochs : [...curve.epochs, now.epoch];
  const train = last ? curve.train : [...curve.train, now.train];
  const test = last ? curve.test : [...curve.test, now.test];
  const found = finiteMax(train, test);
  if (found === -Infinity) return;
  const max = Math.max(found, 1e-9);
  const span = Math.max(now.epoch, 1);
  const line = (values: readonly number[], color: string): void => {
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const x = ((epochs[i] as number) / span) * (W - 4) + 2;
      const y = H - 4 - (Math.max(0, v) / max) * (H - 8);
      if (!started) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
      started = true;
    });
    ctx.stroke();
  };
  line(train, "#333");
  line(test, "#0877bd");
  ctx.fillStyle = "#666";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "right";
  ctx.textBaseline = "top";
  ctx.fillText(`max ${max.toPrecision(3)} · ${now.epoch} epochs`, W - 6, 4);
}
