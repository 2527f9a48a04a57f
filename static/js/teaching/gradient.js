// /gradient: the vanishing gradient. For the sibling RNN, LSTM and GRU models on the same input,
// ||d h_T / d x_t|| per step (log scale) next to the running product of the keep gates
// (LSTM forget f, GRU update z), averaged over units. POST /api/v1/models/{id}/sensitivity.

import { layerLabel } from "../trace-data.js";
import { CELL_COLORS, baseLayout, react, stepAxis } from "./charts.js";
import { startTeachingPage } from "./common.js";
import { t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** One run's series on the shared axis: x from 1, y at the steps that sit on the axis. */
export function onAxis(run, values) {
  const x = [];
  const y = [];
  values.forEach((value, step) => {
    const position = run.positions[step];
    if (position === null) return;
    x.push(position + 1);
    y.push(value);
  });
  return { x, y };
}

/** A run's name: its cell, or for a chain of different cells the top layer's ("mixed" has no colour). */
function cellOf(run) {
  return run.cell === "mixed" ? run.top?.kind ?? "rnn" : run.cell;
}

/** For a chain: the sensitivity is the whole chain's, the retention the top layer's. */
function chainNote(payload) {
  const note = byTestId("gradient-chain");
  const chained = payload.runs.filter((run) => (run.blocks ?? 1) > 1);
  note.hidden = chained.length === 0;
  note.textContent = chained
    .map((run) => t("gradient.chain", { model: run.model, blocks: run.blocks, top: layerLabel(run.top, true) }))
    .join(" ");
}

function line(run, values, extra = {}) {
  const { x, y } = onAxis(run, values);
  const cell = cellOf(run);
  return {
    type: "scatter",
    mode: "lines+markers",
    x,
    y,
    name: `${run.cell.toUpperCase()} · ${run.model}`,
    meta: { model: run.model, cell: run.cell },
    line: { color: CELL_COLORS[cell], width: 3 },
    marker: { size: 6 },
    hovertemplate: "%{y:.3e}<extra>%{fullData.name}</extra>",
    ...extra,
  };
}

function logLayout(axis, title) {
  return baseLayout({
    height: 380,
    legend: { orientation: "h", y: 1.12, x: 0 },
    margin: { l: 70, r: 16, t: 36, b: 60 },
    xaxis: stepAxis(axis.map((label) => (label === "<pad>" ? "·" : label))),
    // dtick 1: a label per power of ten only (Plotly's in-between 2 and 5 are drawn at 9 px)
    yaxis: { type: "log", dtick: 1, exponentformat: "power", title: { text: title }, fixedrange: true },
  });
}

/** 2.0e-2: the ratios span orders of magnitude, so they are said as the chart's axis shows them. */
export function ratioText(value) {
  return value === null || value === undefined ? "–" : value.toExponential(1);
}

const cellName = (cell) => cell.toUpperCase();

/** The sentences the numbers support: which cell kept the most, by how much, and the textbook. */
export function summaryText(payload) {
  const summary = payload.summary;
  if (!summary?.most) return "";
  const byModel = new Map(summary.kept.map((item) => [item.model, item]));
  const most = byModel.get(summary.most);
  const numbers = payload.runs[0]?.tokens === null;
  const unit = t(numbers ? "gradient.summary.step" : "gradient.summary.word");
  const ranked = [...summary.kept].sort((a, b) => (b.ratio ?? 0) - (a.ratio ?? 0));
  const params = { cell: cellName(most.cell), unit, step: most.first_step + 1, ratio: ratioText(most.ratio) };
  const sentences = [];
  if (ranked.length > 1) {
    const factor = summary.factor >= 10 ? summary.factor.toFixed(0) : summary.factor.toFixed(1);
    sentences.push(t("gradient.summary.most", { ...params, factor, runner: cellName(ranked[1].cell) }));
    const list = summary.kept.map((item) => `${cellName(item.cell)} ${ratioText(item.ratio)}`).join(" · ");
    sentences.push(t("gradient.summary.each", { unit, list }));
  } else {
    sentences.push(t("gradient.summary.alone", params));
  }
  const steps = payload.runs[0].steps - most.first_step;
  if (summary.textbook_holds === true) sentences.push(t("gradient.summary.holds"));
  else if (summary.textbook_holds === false) sentences.push(t("gradient.summary.not", { steps }));
  else sentences.push(t("gradient.summary.nornn"));
  return sentences.join(" ");
}

function renderSummary(payload) {
  let box = byTestId("gradient-summary");
  if (!box) {
    box = document.createElement("p");
    box.className = "teaching-summary";
    box.dataset.testid = "gradient-summary";
    box.setAttribute("role", "status");
    byTestId("gradient-result").prepend(box);
  }
  const summary = payload.summary || {};
  box.textContent = summaryText(payload);
  box.dataset.most = summary.most ?? "";
  box.dataset.holds = String(summary.textbook_holds ?? "");
}

/** Why a plain RNN has no line on the keep-gate chart: a sentence under it (in the page, not in
 *  the SVG, where a long line was cut at the chart's edge on a phone). */
function noKeepGateNote(shown) {
  const plot = byTestId("retention-plot");
  let note = byTestId("retention-note");
  if (!note) {
    note = document.createElement("p");
    note.className = "hint";
    note.dataset.testid = "retention-note";
    plot.after(note);
  }
  note.hidden = !shown;
  note.textContent = shown ? t("gradient.nornn") : "";
}

function render(payload) {
  renderSummary(payload);
  chainNote(payload);
  const sensitivity = payload.runs.map((run) => line(run, run.sensitivity));
  const gated = payload.runs.filter((run) => run.retention !== null);
  const retention = gated.map((run) =>
    line(run, run.retention, { name: `${run.cell.toUpperCase()} · ${t(`gradient.keep.${run.keep_gate}`)}` }),
  );
  const layout = logLayout(payload.axis, t("gradient.axis.retention"));
  noKeepGateNote(payload.runs.some((run) => run.retention === null));
  return Promise.all([
    react(byTestId("gradient-plot"), sensitivity, logLayout(payload.axis, t("gradient.axis.sensitivity"))),
    react(byTestId("retention-plot"), retention, layout),
  ]);
}

startTeachingPage({ series: "sensitivity", render });
