// /padding: one sentence pre-padded, post-padded and masked: the three predictions side by side,
// how much every gate moves per step (pad steps shaded), h as a heatmap, and a summary table of
// the mean |change| on pad steps versus word steps. POST /api/v1/models/{id}/padding.
// The gates and h are one layer's (the layer chooser's; the top layer, forward, by default).

import { oneTo, seriesRange } from "../trace-data.js";
import { GATE_COLORS, baseLayout, element, heatmap, predictionNumber, predictionText, react, stepAxis } from "./charts.js";
import { startTeachingPage } from "./common.js";
import { t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

function seriesTitle(name, cell) {
  if (name === "hidden") return "h";
  return t(name === "candidate" ? `gate.candidate.${cell}` : `gate.${name}`);
}

/** The shown layer's cell kind (older payloads: from the gate names a run carries). */
function cellOf(run) {
  if (run.cell) return run.cell;
  if ("forget" in run.gates) return "lstm";
  if ("update" in run.gates) return "gru";
  return "rnn";
}

/** Shaded rectangles over the pad steps (x from 1). */
function padShapes(run) {
  return run.token_kinds
    .map((kind, step) => (kind === "pad" ? step + 1 : null))
    .filter((x) => x !== null)
    .map((x) => ({
      type: "rect", xref: "x", yref: "paper", x0: x - 0.5, x1: x + 0.5, y0: 0, y1: 1,
      fillcolor: "rgba(0,0,0,0.07)", line: { width: 0 }, layer: "below",
    }));
}

function changeTraces(run) {
  const cell = cellOf(run);
  return Object.entries(run.change).map(([name, values]) => ({
    type: "scatter",
    mode: "lines+markers",
    x: oneTo(values.length),
    y: values,
    name: seriesTitle(name, cell),
    meta: { series: name },
    line: { color: GATE_COLORS[name], width: name === "hidden" ? 3.5 : 2.5, dash: name === "hidden" ? "dot" : "solid" },
    marker: { size: 5 },
    connectgaps: false,
    hovertemplate: "%{y:.4f}<extra>%{fullData.name}</extra>",
  }));
}

function labelsOf(run) {
  return run.tokens.map((token, step) => (run.token_kinds[step] === "pad" ? "·" : token));
}

function column(run, trained, nonlinearity) {
  const card = element("article", `card padding-column variant-${run.variant}`);
  card.dataset.variant = run.variant;
  const heading = element("h2", "section-title", t(`padding.variant.${run.variant}`));
  if (run.variant === trained) heading.append(" ", element("span", "badge", t("padding.trained")));
  const prediction = element("p", "padding-prediction", predictionText(run.prediction));
  prediction.dataset.testid = `padding-prediction-${run.variant}`;
  prediction.dataset.value = String(predictionNumber(run.prediction));
  const steps = element("p", "hint", t("padding.padsteps", { n: run.pad_steps }));
  const change = element("div", "plot small-plot");
  change.dataset.testid = `padding-change-${run.variant}`;
  const hidden = element("div", "plot small-plot");
  hidden.dataset.testid = `padding-hidden-${run.variant}`;
  card.append(heading, prediction, steps, element("h3", "chart-title", t("padding.change")), change, element("h3", "chart-title", t("compare.hidden")), hidden);
  const labels = labelsOf(run);
  const layout = baseLayout({
    height: 220,
    margin: { l: 50, r: 8, t: 6, b: 40 },
    legend: { orientation: "h", y: -0.3, font: { size: 11 } },
    xaxis: stepAxis(labels, { tickfont: { size: 11 } }),
    yaxis: { rangemode: "tozero", fixedrange: true, tickfont: { size: 11 } },
    shapes: padShapes(run),
  });
  const draw = () =>
    Promise.all([
      react(change, changeTraces(run), layout),
      heatmap(hidden, run.hidden, seriesRange("hidden", cellOf(run), run.hidden, nonlinearity), { labels, height: 170 }),
    ]);
  return { card, draw };
}

function fmt(value) {
  return value === null ? "–" : value.toFixed(4);
}

function summary(payload) {
  const table = byTestId("padding-summary");
  const head = element("tr");
  head.append(element("th", "", t("padding.series")));
  for (const run of payload.runs) {
    const th = element("th", "", `${run.variant}: ${t("padding.onpads")}`);
    const words = element("th", "", `${run.variant}: ${t("padding.onwords")}`);
    head.append(th, words);
  }
  table.tHead.replaceChildren(head);
  const body = table.tBodies[0];
  body.replaceChildren();
  const cell = cellOf(payload.runs[0]);
  for (const name of Object.keys(payload.runs[0].change)) {
    const row = element("tr");
    row.append(element("th", "", seriesTitle(name, cell)));
    for (const run of payload.runs) {
      for (const [where, values] of [["pad", run.pad_change], ["word", run.word_change]]) {
        const td = element("td", "count", fmt(values[name]));
        Object.assign(td.dataset, { variant: run.variant, series: name, where, value: String(values[name]) });
        row.append(td);
      }
    }
    body.append(row);
  }
  const predictions = element("tr", "prediction-row");
  predictions.append(element("th", "", t("padding.prediction")));
  for (const run of payload.runs) {
    const td = element("td", "", predictionText(run.prediction));
    td.colSpan = 2;
    predictions.append(td);
  }
  body.append(predictions);
}

async function render(payload) {
  const box = document.getElementById("padding-columns");
  box.replaceChildren();
  const columns = payload.runs.map((run) => column(run, payload.trained_with, payload.nonlinearity));
  columns.forEach(({ card }) => box.append(card));
  summary(payload);
  await Promise.all(columns.map(({ draw }) => draw()));
}

startTeachingPage({
  series: "padding",
  applies: (model) => (model.input_kind === "numbers" ? "padding_needs_text" : null),
  render,
  shownLayer: (payload) => ({ layers: payload.layers, layer: payload.layer, direction: payload.direction }),
});
