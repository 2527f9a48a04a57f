// /state: stacking and state, for the time-series models. return_sequences=True: layer 1's h at
// every step is layer 2's input matrix, and the top layer's last h feeds the Dense head.
// stateful=True: the second part of the input starts from the first part's final state (the
// "carry state" switch) instead of zeros. POST /api/v1/models/{id}/state.

import { oneTo, seriesRange } from "../trace-data.js";
import { baseLayout, element, heatmap, predictionNumber, predictionText, react } from "./charts.js";
import { readQuery, startTeachingPage } from "./common.js";
import { t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const carrySwitch = byTestId("state-carry");
const wantedSplit = Number.parseInt(readQuery().query.get("split") ?? "", 10);
carrySwitch.checked = readQuery().query.get("carry") !== "0";

function mode() {
  return carrySwitch.checked ? "carried" : "fresh";
}

function plotBox(testid, title) {
  const figure = element("figure", "stack-item");
  const caption = element("figcaption", "chart-title", title);
  const plot = element("div", "plot");
  plot.dataset.testid = testid;
  figure.append(caption, plot);
  return { figure, plot };
}

function bars(plot, values, color, title) {
  const trace = {
    type: "bar",
    x: oneTo(values.length),
    y: values,
    marker: { color },
    hovertemplate: "%{x}: %{y:.3f}<extra></extra>",
  };
  return react(plot, [trace], baseLayout({
    height: 170,
    margin: { l: 44, r: 8, t: 6, b: 30 },
    xaxis: { fixedrange: true, title: { text: title, font: { size: 12 } } },
    yaxis: { fixedrange: true, tickfont: { size: 11 } },
  }));
}

function renderStack(payload) {
  const row = document.getElementById("stack-row");
  row.replaceChildren();
  const stack = payload.stack;
  const steps = stack.inputs.length;
  const labels = oneTo(steps).map(String);
  const cell = payload.cell;
  const items = [];
  const inputs = plotBox("state-inputs", t("state.inputs"));
  items.push([inputs, () => heatmap(inputs.plot, stack.inputs, { zmin: 0, zmax: 1, kind: "sequential" }, {
      labels,
      height: 200,
      yTitle: t("axis.feature"),
      yLabels: payload.features,
    })]);
  const chained = (payload.blocks ?? 1) > 1;
  // A chain names each layer by its block and kind ("Block 2 · LSTM layer 1"), as the explorer does.
  const name = (layer) =>
    t("table.recurrent.block", { b: layer.block + 1, cell: layer.kind.toUpperCase(), n: layer.block_layer + 1 });
  stack.layers.forEach((layer, index) => {
    const last = index === stack.layers.length - 1;
    const next = stack.layers[index + 1];
    let title;
    if (chained) {
      title = last
        ? t("state.layer.named", { name: name(layer) })
        : t("state.layerFeeds.named", { name: name(layer), next: name(next) });
    } else {
      title = last ? t("state.layer", { n: index + 1 }) : t("state.layerFeeds", { n: index + 1, m: index + 2 });
    }
    const box = plotBox(`state-layer-${index + 1}`, title);
    box.plot.dataset.block = String((layer.block ?? 0) + 1);
    box.plot.dataset.kind = layer.kind ?? cell;
    items.push([box, () => heatmap(box.plot, layer.outputs, seriesRange("hidden", layer.kind ?? cell, layer.outputs, payload.nonlinearity), { labels, height: 200 })]);
  });
  const top = stack.layers[stack.layers.length - 1];
  const final = plotBox(
    "state-final",
    chained ? t("state.final.named", { name: name(top) }) : t("state.final", { n: stack.layers.length }),
  );
  items.push([final, () => bars(final.plot, stack.final_hidden, "#111", t("axis.unit"))]);
  stack.head.forEach((step, index) => {
    const box = plotBox(`state-head-${index + 1}`, `${step.name} (${step.activation})`);
    items.push([box, () => bars(box.plot, step.outputs, "#0072B2", `${step.inputs} → ${step.outputs.length}`)]);
  });
  // Every figure is in place before any plot is drawn, so each plot takes its own width.
  items.forEach(([box], index) => {
    if (index > 0) box.figure.firstChild.prepend(element("span", "stack-arrow", "→ "));
    row.append(box.figure);
  });
  return Promise.all(items.map(([, draw]) => draw()));
}

function part(partPayload, name, style) {
  const series = (partPayload.step_predictions || []).map(predictionNumber);
  return {
    type: "scatter",
    mode: "lines+markers",
    x: series.map((_, index) => partPayload.start + index + 1),
    y: series,
    name: t(`state.${name}`),
    meta: { part: name },
    ...style,
    hovertemplate: "%{y:.3f}<extra>%{fullData.name}</extra>",
  };
}

function renderCarry(payload) {
  const chosen = mode();
  const other = chosen === "carried" ? "fresh" : "carried";
  const whole = part(payload.whole, "whole", { mode: "lines", line: { color: "#bbb", width: 9 } });
  const traces = [
    whole,
    part(payload.first, "first", { line: { color: "#111", width: 3 } }),
    part(payload[chosen], chosen, { line: { color: chosen === "carried" ? "#009E73" : "#D55E00", width: 4 } }),
    part(payload[other], other, { line: { color: other === "carried" ? "#009E73" : "#D55E00", width: 2, dash: "dot" }, opacity: 0.7 }),
  ];
  const split = payload.split + 0.5;
  const layout = baseLayout({
    height: 320,
    legend: { orientation: "h", y: 1.16, x: 0 },
    margin: { l: 60, r: 16, t: 40, b: 50 },
    xaxis: { title: { text: t("axis.step") }, fixedrange: true, dtick: 1 },
    yaxis: { title: { text: payload.whole.prediction.unit || "" }, fixedrange: true },
    shapes: [{ type: "line", x0: split, x1: split, yref: "paper", y0: 0, y1: 1, line: { color: "#555", dash: "dash" } }],
    // Inside the plot, right of the split line: above it, the legend would cover it.
    annotations: [{
      x: split, xanchor: "left", xshift: 4, yref: "paper", y: 1, yanchor: "top", showarrow: false,
      text: t("state.split"), font: { size: 12 }, bgcolor: "rgba(255,255,255,0.8)",
    }],
  });
  const box = byTestId("state-prediction");
  const prediction = payload[chosen].prediction;
  box.dataset.mode = chosen;
  box.dataset.value = String(predictionNumber(prediction));
  const gap = Math.abs(predictionNumber(prediction) - predictionNumber(payload.whole.prediction));
  box.replaceChildren(
    element("p", "prediction-detail", t("state.secondPrediction")),
    element("p", "prediction-label", predictionText(prediction)),
    element("p", "prediction-detail", gap < 1e-3 ? t("state.equal") : t("state.differs", { d: gap.toFixed(3) })),
  );
  const hidden = byTestId("state-second-hidden");
  const labels = oneTo(payload[chosen].steps).map((index) => String(payload.split + index));
  return Promise.all([
    react(byTestId("state-carry-plot"), traces, layout),
    heatmap(hidden, payload[chosen].hidden, seriesRange("hidden", payload.cell, payload[chosen].hidden, payload.nonlinearity), {
      labels,
      height: 200,
      title: t("state.second", { mode: t(`state.mode.${chosen}`) }),
    }),
  ]);
}

async function render(payload, page) {
  payload.cell = page.model.cell;
  await Promise.all([renderStack(payload), renderCarry(payload)]);
}

const page = startTeachingPage({
  series: "state",
  applies: (model) => (model.input_kind !== "numbers" ? "state_needs_numbers" : null),
  body: (input) => (Number.isInteger(wantedSplit) && wantedSplit > 0 ? { input, split: wantedSplit } : { input }),
  extras: () => ({ carry: carrySwitch.checked ? null : 0, split: Number.isInteger(wantedSplit) && wantedSplit > 0 ? wantedSplit : null }),
  render,
});

carrySwitch.addEventListener("change", async () => {
  page.writeUrl(false);
  if (page.payload) {
    await renderCarry(page.payload);
    page.rendered();
  }
});
