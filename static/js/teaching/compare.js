// /compare: the same input through the sibling RNN, LSTM and GRU models, steps aligned:
// the prediction after every step, the gates each cell has, h, and the parameter table with the
// formula behind every count. Every number is the API's (POST /api/v1/models/{id}/compare).
// The gates and h are one layer's (the layer chooser's; the top layer, forward, by default).

import { oneTo, seriesRange } from "../trace-data.js";
import {
  CELL_COLORS,
  GATE_COLORS,
  baseLayout,
  element,
  heatmap,
  meanOverUnits,
  predictionNumber,
  predictionText,
  react,
  stepAxis,
} from "./charts.js";
import { layerOptions, startTeachingPage } from "./common.js";
import { t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** A run's step predictions placed on the shared axis: {x (from 1), y}. */
export function alignedSeries(run) {
  const x = [];
  const y = [];
  (run.step_predictions || []).forEach((prediction, step) => {
    const position = run.positions[step];
    if (position === null) return;
    x.push(position + 1);
    y.push(predictionNumber(prediction, run.prediction?.label));
  });
  return { x, y };
}

function gateTitle(name, cell) {
  return t(name === "candidate" ? `gate.candidate.${cell}` : `gate.${name}`);
}

function renderPredictions(payload) {
  const plot = byTestId("compare-predictions");
  const none = byTestId("compare-nosteps");
  none.hidden = payload.runs.some((run) => run.step_predictions);
  const traces = [];
  const markers = [];
  const sentiment = payload.runs.some((run) => run.prediction && "positive_probability" in run.prediction);
  for (const run of payload.runs) {
    const { x, y } = alignedSeries(run);
    const color = CELL_COLORS[run.cell];
    traces.push({
      type: "scatter",
      mode: "lines+markers",
      x,
      y,
      name: `${run.cell.toUpperCase()} · ${run.model}`,
      meta: { model: run.model, kind: "prediction" },
      line: { color, width: 3 },
      marker: { size: 6 },
      hovertemplate: "%{y:.3f}<extra>%{fullData.name}</extra>",
    });
    if (run.tipping_step !== null && run.positions[run.tipping_step] !== null) {
      const position = run.positions[run.tipping_step] + 1;
      markers.push({
        type: "scatter",
        mode: "markers",
        x: [position],
        y: [predictionNumber(run.step_predictions[run.tipping_step], run.prediction?.label)],
        name: t("compare.tipped"),
        meta: { model: run.model, kind: "tipping" },
        showlegend: false,
        marker: { size: 16, color, symbol: "star", line: { color: "#000", width: 1.5 } },
        hovertemplate: `${t("compare.tipped")}: %{y:.3f}<extra>${run.model}</extra>`,
      });
    }
  }
  const layout = baseLayout({
    height: 300,
    legend: { orientation: "h", y: 1.14, x: 0 },
    margin: { l: 60, r: 16, t: 36, b: 60 },
    xaxis: stepAxis(payload.axis.map((label) => (label === "<pad>" ? "·" : label))),
    yaxis: sentiment
      ? { range: [-0.02, 1.02], title: { text: t("prediction.positive") }, fixedrange: true }
      : { title: { text: payload.runs[0]?.prediction?.unit || "" }, fixedrange: true },
    shapes: sentiment
      ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5, y1: 0.5, line: { color: "#888", dash: "dash" } }]
      : [],
  });
  return react(plot, [...traces, ...markers], layout);
}

/** Step labels: tokens (pads as a dot, so forty of them stay readable) or step numbers. */
export function stepLabels(tokens, kinds, steps) {
  if (!tokens) return oneTo(steps).map(String);
  return tokens.map((token, step) => (kinds?.[step] === "pad" ? "·" : token));
}

/** The shown layer's name, as the chooser names it ("Block 2 · GRU layer 1 · forward →"). */
function shownLayerName(payload, run) {
  const own = payload.runs[0] === run ? layerOptions(payload.layers) : [];
  const found = own.find((option) => option.value === `${run.layer}|${run.direction}`);
  if (found) return found.label;
  return layerOptions([{ ...run, kind: run.cell }]).at(0).label;
}

/** True when the model chains blocks of different cells (it then has no siblings). */
function mixedChain(payload) {
  return new Set(payload.layers.map((layer) => layer.kind)).size > 1;
}

function renderColumn(run, payload) {
  const card = element("article", `card compare-column cell-${run.cell}`);
  card.dataset.model = run.model;
  const heading = element("h2", "section-title");
  heading.append(element("span", `cell-badge cell-${run.cell}`, run.cell.toUpperCase()), ` ${run.title}`);
  const shown = element("p", "hint shown-layer", shownLayerName(payload, run));
  shown.dataset.testid = `compare-layer-${run.model}`;
  Object.assign(shown.dataset, { layer: String(run.layer + 1), direction: run.direction, block: String(run.block + 1), kind: run.cell });
  card.append(heading, shown);
  const chips = element("p", "gate-chips");
  chips.dataset.testid = `compare-gate-names-${run.model}`;
  if (!run.gate_names.length) chips.append(element("span", "chip none", t("compare.nogates")));
  for (const name of run.gate_names) {
    const chip = element("span", "chip", gateTitle(name, run.cell));
    chip.style.borderColor = GATE_COLORS[name];
    chip.dataset.gate = name;
    chips.append(chip);
  }
  card.append(chips);
  card.append(element("p", "prediction-line", `${t("prediction.title")}: ${predictionText(run.prediction)}`));
  const gates = element("div", "plot small-plot");
  gates.dataset.testid = `compare-gates-${run.model}`;
  const hidden = element("div", "plot small-plot");
  hidden.dataset.testid = `compare-hidden-${run.model}`;
  if (run.gate_names.length) card.append(element("h3", "chart-title", t("compare.gates")), gates);
  card.append(element("h3", "chart-title", t("compare.hidden")), hidden);
  return { card, gates, hidden };
}

function drawColumn(run, parts) {
  const labels = stepLabels(run.tokens, run.token_kinds, run.steps);
  const drawn = [heatmap(parts.hidden, run.hidden, seriesRange("hidden", run.cell, run.hidden, run.nonlinearity), { labels, height: 190 })];
  if (run.gate_names.length) {
    const traces = run.gate_names.map((name) => ({
      type: "scatter",
      mode: "lines",
      x: oneTo(run.steps),
      y: meanOverUnits(run.gates[name]),
      name: gateTitle(name, run.cell),
      meta: { gate: name },
      line: { color: GATE_COLORS[name], width: 2.5 },
      hovertemplate: "%{y:.3f}<extra>%{fullData.name}</extra>",
    }));
    const layout = baseLayout({
      height: 200,
      showlegend: true,
      legend: { orientation: "h", y: -0.35, font: { size: 12 } },
      margin: { l: 44, r: 8, t: 6, b: 30 },
      xaxis: stepAxis(labels, { tickfont: { size: 11 } }),
      yaxis: { range: [-1.05, 1.05], fixedrange: true, tickfont: { size: 12 } },
    });
    drawn.push(react(parts.gates, traces, layout));
  }
  return Promise.all(drawn);
}

function renderColumns(payload) {
  const box = document.getElementById("compare-columns");
  box.replaceChildren();
  box.style.setProperty("--columns", String(payload.runs.length));
  // Every column is in place before any plot is drawn, so each plot takes its column's width.
  const columns = payload.runs.map((run) => [run, renderColumn(run, payload)]);
  columns.forEach(([, parts]) => box.append(parts.card));
  if (payload.runs.length === 1) {
    const alone = element("p", "hint", t(mixedChain(payload) ? "compare.alone.chain" : "compare.alone"));
    alone.dataset.testid = "compare-alone";
    box.append(alone);
  }
  return Promise.all(columns.map(([run, parts]) => drawColumn(run, parts)));
}

const RECURRENT = ["rnn", "lstm", "gru"];

/** "GRU layer 1" / "GRU 1층" for recurrent rows (keys blocks.<block>.<layer>), with the block in
 *  front for a chain ("Block 2 · GRU layer 1"); Embedding and Dense keep their Keras names. */
function layerName(row, chained) {
  if (!RECURRENT.includes(row.kind)) return row.name;
  const [, block, layer] = row.key.split(".").map(Number);
  const names = { cell: row.kind.toUpperCase(), n: layer + 1, b: block + 1 };
  return t(chained ? "table.recurrent.block" : "table.recurrent", names);
}

function chainedTable(table) {
  return new Set(table.rows.filter((row) => RECURRENT.includes(row.kind)).map((row) => row.key.split(".")[1])).size > 1;
}

function renderTable(payload) {
  const body = byTestId("compare-parameters").querySelector("tbody");
  body.replaceChildren();
  const notes = new Set();
  for (const run of payload.runs) {
    const table = run.parameters;
    const chained = chainedTable(table);
    table.rows.forEach((row, index) => {
      const tr = element("tr", RECURRENT.includes(row.kind) ? "recurrent-row" : "");
      tr.dataset.model = run.model;
      tr.dataset.key = row.key;
      const model = element("td", "model-cell", index === 0 ? (chained ? run.model : run.cell.toUpperCase()) : "");
      tr.append(
        model,
        element("td", "", layerName(row, chained)),
        element("td", "formula", row.pytorch.symbolic),
        element("td", "formula", row.pytorch.substituted),
        element("td", "count", row.pytorch.count.toLocaleString("en-US")),
        element("td", "count keras", row.keras ? row.keras.count.toLocaleString("en-US") : "–"),
      );
      tr.children[4].dataset.count = String(row.pytorch.count);
      body.append(tr);
      notes.add(row.note);
    });
    const total = element("tr", "total-row");
    total.dataset.model = run.model;
    total.append(
      element("td", "", ""),
      element("td", "", t("compare.total")),
      element("td", "", ""),
      element("td", "", ""),
      element("td", "count", table.total.toLocaleString("en-US")),
      element("td", "count keras", table.keras_total === null ? "–" : table.keras_total.toLocaleString("en-US")),
    );
    total.children[4].dataset.count = String(table.total);
    body.append(total);
  }
  const list = document.getElementById("compare-notes");
  list.replaceChildren(element("li", "symbols", t("symbols")));
  for (const note of notes) list.append(element("li", "", t(`note.${note}`)));
  const ratio = gruToLstm(payload);
  if (ratio) list.append(element("li", "ratio", t("compare.ratio", { gru: ratio })));
}

/** GRU's recurrent parameters as a share of the LSTM's ("75.0%"), when both are compared. */
function gruToLstm(payload) {
  const recurrent = (cell) => {
    const run = payload.runs.find((item) => item.cell === cell);
    if (!run) return null;
    return run.parameters.rows.filter((row) => row.kind === cell).reduce((sum, row) => sum + row.pytorch.count, 0);
  };
  const gru = recurrent("gru");
  const lstm = recurrent("lstm");
  return gru && lstm ? `${((100 * gru) / lstm).toFixed(1)}%` : null;
}

async function render(payload) {
  renderTable(payload);
  await Promise.all([renderPredictions(payload), renderColumns(payload)]);
}

startTeachingPage({
  series: "compare",
  render,
  shownLayer: (payload) => ({ layers: payload.layers, layer: payload.runs[0].layer, direction: payload.runs[0].direction }),
});
