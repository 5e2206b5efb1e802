// The 2-2-2 network of the concepts page as inline SVG, with the quantities one part of the page
// computes highlighted and labelled. The stage (which elements, which values) comes from
// src/guide/trace.data.ts, computed from the library's trace; this file only places and draws it.
import { defineComponent, h, type PropType, type VNode } from "vue";
import { EDGES, type DiagramMark, type EdgeId, type NetworkStage, type NodeId } from "./network.js";

/** Where each neuron sits, its radius and its printed name. */
export const NODES: Readonly<Record<NodeId, { x: number; y: number; r: number; name: string }>> = {
  i1: { x: 60, y: 70, r: 24, name: "i₁" },
  i2: { x: 60, y: 200, r: 24, name: "i₂" },
  h1: { x: 320, y: 70, r: 24, name: "h₁" },
  h2: { x: 320, y: 200, r: 24, name: "h₂" },
  o1: { x: 580, y: 70, r: 24, name: "o₁" },
  o2: { x: 580, y: 200, r: 24, name: "o₂" },
  b1: { x: 190, y: 280, r: 15, name: "b₁" },
  b2: { x: 450, y: 280, r: 15, name: "b₂" },
};

/** Each connection's printed name, and where along it (0 at the source) its value is written. */
const EDGE_LABELS: Readonly<Record<EdgeId, { name: string; t: number; dy: number }>> = {
  w1: { name: "w₁", t: 0.5, dy: -7 },
  w2: { name: "w₂", t: 0.22, dy: -7 },
  w3: { name: "w₃", t: 0.22, dy: 14 },
  w4: { name: "w₄", t: 0.5, dy: -7 },
  w5: { name: "w₅", t: 0.5, dy: -7 },
  w6: { name: "w₆", t: 0.22, dy: -7 },
  w7: { name: "w₇", t: 0.22, dy: 14 },
  w8: { name: "w₈", t: 0.5, dy: -7 },
  b1h1: { name: "b₁→h₁", t: 0.78, dy: 0 },
  b1h2: { name: "b₁→h₂", t: 0.55, dy: 14 },
  b2o1: { name: "b₂→o₁", t: 0.78, dy: 0 },
  b2o2: { name: "b₂→o₂", t: 0.55, dy: 14 },
};

export const WIDTH = 640;
export const HEIGHT = 310;

/** A value as the drawing prints it: 4 significant digits, a real minus sign. */
export function short(v: number): string {
  return String(Number(v.toPrecision(4))).replace("-", "−");
}

/** A value as the page's text prints it (10 significant digits), for the accessible description. */
const long = (v: number): string => String(Number(v.toPrecision(10)));

/** One drawn element, with the state the stage gives it. */
export interface DrawnNode {
  readonly id: NodeId;
  readonly x: number;
  readonly y: number;
  readonly r: number;
  readonly name: string;
  readonly state: DiagramMark["state"] | "idle";
  /** The value written above the neuron (`out 0.5933`), if the stage marks it. */
  readonly label?: string;
}

export interface DrawnEdge {
  readonly id: EdgeId;
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
  readonly state: DiagramMark["state"] | "idle";
  /** The value written along the connection, and where. */
  readonly label?: { readonly x: number; readonly y: number; readonly text: string };
}

export interface NetworkLayout {
  readonly nodes: readonly DrawnNode[];
  readonly edges: readonly DrawnEdge[];
  /** What a screen reader announces: the title, then every marked quantity at the page's precision. */
  readonly label: string;
}

const describe = (name: string, m: DiagramMark): string => `${m.quantity} ${name} = ${long(m.value)}`;

/** Places every neuron and connection and marks those the stage computes or uses. */
export function layoutNetwork(stage: NetworkStage): NetworkLayout {
  const nodes = (Object.keys(NODES) as NodeId[]).map((id): DrawnNode => {
    const p = NODES[id];
    const m = stage.nodes[id];
    // A bias unit (a constant 1) has no value of its own: it is "used" when one of its connections is marked.
    const feeds = (id === "b1" || id === "b2") && (Object.keys(EDGES) as EdgeId[]).some((e) => EDGES[e].from === id && stage.edges[e] !== undefined);
    return { id, ...p, state: m?.state ?? (feeds ? "used" : "idle"), ...(m ? { label: `${m.quantity} ${short(m.value)}` } : {}) };
  });
  const edges = (Object.keys(EDGES) as EdgeId[]).map((id): DrawnEdge => {
    const { from, to } = EDGES[id];
    const a = NODES[from];
    const b = NODES[to];
    // Lines stop at the circles' rims.
    const len = Math.hypot(b.x - a.x, b.y - a.y);
    const ux = (b.x - a.x) / len;
    const uy = (b.y - a.y) / len;
    const m = stage.edges[id];
    const where = EDGE_LABELS[id];
    const lx = a.x + (b.x - a.x) * where.t;
    const ly = a.y + (b.y - a.y) * where.t + where.dy;
    return {
      id,
      x1: a.x + ux * a.r,
      y1: a.y + uy * a.r,
      x2: b.x - ux * b.r,
      y2: b.y - uy * b.r,
      state: m?.state ?? "idle",
      // The first drawing names every connection, so the later ones can show values alone.
      ...(m ? { label: { x: lx, y: ly, text: stage.id === "network" ? `${where.name} ${short(m.value)}` : short(m.value) } } : {}),
    };
  });
  const part = (state: DiagramMark["state"]): string[] => [
    ...(Object.entries(stage.nodes) as [NodeId, DiagramMark][]).filter(([, m]) => m.state === state).map(([id, m]) => describe(NODES[id].name, m)),
    ...(Object.entries(stage.edges) as [EdgeId, DiagramMark][]).filter(([, m]) => m.state === state).map(([id, m]) => describe(EDGE_LABELS[id].name, m)),
  ];
  const computed = part("computed");
  const used = part("used");
  const label = [
    `${stage.title}: the 2-2-2 network.`,
    computed.length > 0 ? `Computed here: ${computed.join(", ")}.` : "",
    used.length > 0 ? `Used: ${used.join(", ")}.` : "",
  ]
    .filter((s) => s !== "")
    .join(" ");
  return { nodes, edges, label };
}

const f1 = (v: number): string => v.toFixed(1);

/** `<NetworkDiagram :stage="data.diagram.loss" />`: the network with one stage's quantities highlighted. */
export const NetworkDiagramView = defineComponent({
  name: "NetworkDiagram",
  props: { stage: { type: Object as PropType<NetworkStage>, required: true } },
  setup(props) {
    return (): VNode => {
      const l = layoutNetwork(props.stage);
      const children: VNode[] = [h("title", props.stage.title)];
      for (const e of l.edges) {
        children.push(h("line", { class: `edge ${e.state}`, "data-edge": e.id, x1: f1(e.x1), y1: f1(e.y1), x2: f1(e.x2), y2: f1(e.y2) }));
      }
      for (const e of l.edges) {
        if (e.label) children.push(h("text", { class: `edge-value ${e.state}`, x: f1(e.label.x), y: f1(e.label.y), "text-anchor": "middle" }, e.label.text));
      }
      for (const n of l.nodes) {
        children.push(
          h("g", { class: `node ${n.state}`, "data-node": n.id }, [
            h("circle", { cx: n.x, cy: n.y, r: n.r }),
            h("text", { class: "name", x: n.x, y: n.y + 5, "text-anchor": "middle" }, n.name),
            ...(n.label ? [h("text", { class: "node-value", x: n.x, y: n.y - n.r - 8, "text-anchor": "middle" }, n.label)] : []),
          ]),
        );
      }
      return h("figure", { class: "network-diagram" }, [
        h("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, width: WIDTH, height: HEIGHT, role: "img", "aria-label": l.label }, children),
        h("figcaption", [h("strong", `${props.stage.title}. `), props.stage.caption]),
      ]);
    };
  },
});
