// On the explorer: mark, on the page's "prediction as it forms" chart (prediction.js, testid
// prediction-by-step), the step where the prediction moved most from the step before (for a
// multi-class head: where the most likely class last changed).
// prediction.js draws the chart; this module only adds one highlighted column and its label
// after each draw (Plotly's plotly_afterplot), reading the series the chart itself plots, so the
// two never disagree. Loaded by templates/teaching/_nav.html.

import { tippingMarks } from "./tipping.js";

const NAME = "tipping-step";

/** The step labels the chart carries (prediction.js: the trace's tokens as text; none for numbers). */
function tokens(chart) {
  return chart.data?.[0]?.text ?? null;
}

/** A multi-class chart's most likely class per step (prediction.js: data-argmax), else null. */
function argmaxOf(chart) {
  return chart.dataset.argmax ? JSON.parse(chart.dataset.argmax) : null;
}

function mark(chart) {
  const series = chart.data?.[0]?.y;
  if (!series) return;
  const marks = tippingMarks(Array.from(series), { tokens: tokens(chart), argmax: argmaxOf(chart) });
  const layout = chart.layout || {};
  const shapes = (layout.shapes || []).filter((shape) => shape.name !== NAME);
  const annotations = (layout.annotations || []).filter((note) => note.name !== NAME);
  const current = (layout.annotations || []).find((note) => note.name === NAME);
  const wanted = marks.annotations[0];
  if (current && wanted && current.x === wanted.x && current.text === wanted.text) return;
  if (!current && !wanted) return;
  chart.dataset.tippingStep = marks.step === null ? "" : String(marks.step + 1);
  window.Plotly.relayout(chart, {
    shapes: [...shapes, ...marks.shapes],
    annotations: [...annotations, ...marks.annotations],
  });
}

function watch(chart) {
  let bound = false;
  const bind = () => {
    if (bound || typeof chart.on !== "function") return;
    bound = true;
    chart.on("plotly_afterplot", () => mark(chart));
    mark(chart);
  };
  new MutationObserver(bind).observe(chart, { childList: true });
  bind();
}

const chart = document.querySelector('[data-testid="prediction-by-step"]');
if (chart) watch(chart);
