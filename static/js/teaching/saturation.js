// /saturation: Karpathy's scatter of left- vs right-saturated fractions, per unit and gate.
// A click on a point opens that unit, layer and direction in the explorer on the same input.
// POST /api/v1/models/{id}/saturation.

import { layerLabel } from "../trace-data.js";
import { GATE_COLORS, baseLayout, react } from "./charts.js";
import { queryString, startTeachingPage } from "./common.js";
import { t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const SYMBOLS = ["circle", "diamond", "square", "triangle-up"];

function gateTitle(name) {
  return t(`gate.${name}`);
}

/** Where a point's gate is: "layer 2 ←", or for a chain "Block 2 · GRU layer 1 · forward →". */
function placeOf(point, chained) {
  if (chained) return layerLabel(point, true);
  return `${t("saturation.layer", { n: point.layer + 1 })}${point.direction === "backward" ? " ←" : ""}`;
}

/** One trace per layer-direction and gate; customdata = [layer, direction, unit, unit + 1]. */
export function saturationTraces(payload) {
  const chained = (payload.blocks ?? 1) > 1;
  const groups = new Map();
  for (const point of payload.points) {
    const key = `${point.layer}|${point.direction}|${point.gate}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(point);
  }
  const layers = new Set(payload.points.map((point) => point.layer)).size;
  return [...groups.values()].map((points) => {
    const { layer, direction, gate } = points[0];
    const where = chained || layers > 1 || direction === "backward" ? ` · ${placeOf(points[0], chained)}` : "";
    const hover = chained
      ? t("saturation.hover.block", { gate: gateTitle(gate), where: placeOf(points[0], true) })
      : t("saturation.hover", { gate: gateTitle(gate), layer: layer + 1 });
    return {
      type: "scatter",
      mode: "markers",
      x: points.map((point) => point.left),
      y: points.map((point) => point.right),
      customdata: points.map((point) => [point.layer, point.direction, point.unit, point.unit + 1]),
      name: `${gateTitle(gate)}${where}`,
      meta: { gate, layer, direction, block: points[0].block ?? 0, kind: points[0].kind ?? null },
      marker: {
        size: 13,
        color: GATE_COLORS[gate],
        opacity: 0.8,
        symbol: SYMBOLS[layer % SYMBOLS.length],
        line: { color: "#000", width: 1 },
      },
      hovertemplate: `${hover}<extra></extra>`,
    };
  });
}

/** The explorer URL that follows one point's unit (unit and layer counted from 1 there). */
export function explorerUrl(model, text, [layer, direction, unit]) {
  return `/${queryString(model, text, { unit: unit + 1, layer: layer + 1, dir: direction === "backward" ? "backward" : null })}`;
}

let bound = false;

function render(payload, page) {
  const plot = byTestId("saturation-plot");
  const layout = baseLayout({
    height: 560,
    margin: { l: 70, r: 16, t: 16, b: 60 },
    legend: { orientation: "v", x: 1.02, y: 1 },
    xaxis: { range: [-0.03, 1.03], title: { text: t("saturation.x", { low: payload.low }) }, zeroline: false, constrain: "domain" },
    yaxis: {
      range: [-0.03, 1.03],
      title: { text: t("saturation.y", { high: payload.high }) },
      zeroline: false,
      scaleanchor: "x",
      constrain: "domain",
    },
    hovermode: "closest",
    shapes: [
      { type: "line", x0: 0, y0: 1, x1: 1, y1: 0, line: { color: "#999", dash: "dot", width: 1.5 } },
    ],
  });
  const done = react(plot, saturationTraces(payload), layout);
  if (!bound) {
    bound = true;
    plot.on("plotly_click", (event) => {
      const point = event.points?.[0];
      if (point) window.location.assign(explorerUrl(page.model.id, page.text, point.customdata));
    });
  }
  plot.dataset.model = payload.model;
  return done;
}

startTeachingPage({
  series: "saturation",
  applies: (model) => (model.cell === "rnn" ? "saturation_needs_gates" : null),
  render,
});
