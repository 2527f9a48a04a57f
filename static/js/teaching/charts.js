// Plotly pieces the teaching views share, on top of the explorer's (plots.js): its font, config
// and colour scales, plus colour-blind-safe (Okabe-Ito) colours per cell and per gate.

import { t } from "../i18n.js";
import { CONFIG, FONT, colorscale } from "../plots.js";
import { oneTo, transpose, unitsOf } from "../trace-data.js";

const Plotly = window.Plotly;

export const CELL_COLORS = { rnn: "#D55E00", lstm: "#0072B2", gru: "#009E73" };
export const GATE_COLORS = {
  input: "#0072B2",
  forget: "#E69F00",
  candidate: "#56B4E9",
  output: "#009E73",
  reset: "#CC79A7",
  update: "#D55E00",
  hidden: "#111111",
};

export function baseLayout(extra = {}) {
  return {
    font: FONT,
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "#fff",
    margin: { l: 60, r: 16, t: 8, b: 48 },
    ...extra,
  };
}

/** Ticks that name each step by its label (tokens repeat, so x stays numeric). */
export function stepAxis(labels, extra = {}) {
  return {
    tickmode: "array",
    tickvals: oneTo(labels.length),
    ticktext: labels,
    range: [0.5, labels.length + 0.5],
    fixedrange: true,
    automargin: true,
    ...extra,
  };
}

/** A units x steps heatmap of one steps x units matrix. */
export function heatmap(
  element,
  values,
  range,
  { labels, height = 170, title = "", yTitle = t("axis.unit"), yLabels = null } = {},
) {
  const steps = values.length;
  const trace = {
    type: "heatmap",
    z: transpose(values),
    x: oneTo(steps),
    y: oneTo(unitsOf(values)),
    zmin: range.zmin,
    zmax: range.zmax,
    colorscale: colorscale(range),
    colorbar: { thickness: 12, outlinewidth: 0, tickfont: { size: 12 } },
    hovertemplate: "%{x} · %{y}: %{z:.3f}<extra></extra>",
    hoverongaps: false,
  };
  const layout = baseLayout({
    height,
    margin: { l: 48, r: 8, t: title ? 26 : 6, b: 40 },
    title: title ? { text: title, font: { size: 14 }, x: 0, xanchor: "left" } : undefined,
    xaxis: stepAxis(labels || oneTo(steps).map(String), { tickfont: { size: 12 } }),
    yaxis: {
      autorange: "reversed",
      fixedrange: true,
      automargin: true,
      title: { text: yTitle, font: { size: 12 } },
      ...(yLabels ? { tickmode: "array", tickvals: oneTo(yLabels.length), ticktext: yLabels } : {}),
    },
  });
  // An accessible name: what the picture is, with its size (Plotly's SVG has none of its own).
  element.setAttribute("role", "img");
  element.setAttribute("aria-label", t("heatmap.named", { title: title || yTitle, units: unitsOf(values), steps }));
  return Plotly.react(element, [trace], layout, CONFIG);
}

export function react(element, traces, layout) {
  return Plotly.react(element, traces, layout, CONFIG);
}

/** The mean over units of every step of a steps x units matrix (nulls skipped; null if none). */
export function meanOverUnits(values) {
  return values.map((row) => {
    const defined = row.filter((value) => value !== null);
    return defined.length ? defined.reduce((sum, value) => sum + value, 0) / defined.length : null;
  });
}

/** The number a prediction plots: P(positive) for sentiment, the value for regression, the
 *  probability of its class for a classifier (of `label` when given: the class finally
 *  predicted), and the top candidate's probability for a next-token model. */
export function predictionNumber(prediction, label = null) {
  if (!prediction) return null;
  if ("positive_probability" in prediction && prediction.positive_probability !== null) return prediction.positive_probability;
  if (prediction.classes) {
    const wanted = label ?? prediction.label;
    return prediction.classes.find((item) => item.label === wanted)?.probability ?? prediction.probability ?? null;
  }
  if (prediction.top) return prediction.top[0]?.probability ?? null;
  return prediction.value ?? null;
}

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** "negative · P(positive) 16.9%" (in the page's language), "happy · 38.6%" or "14.27 °C". */
export function predictionText(prediction) {
  if (!prediction) return "–";
  if ("positive_probability" in prediction && prediction.label !== null && prediction.label !== undefined) {
    // The shipped labels are English words; say them in the page's language when it knows them.
    const known = t(`label.${prediction.label}`);
    const label = known.startsWith("label.") ? prediction.label : known;
    return `${label} · ${t("prediction.positive")} ${(prediction.positive_probability * 100).toFixed(1)}%`;
  }
  if (prediction.classes || prediction.top) {
    // A classifier's class, or a language model's most likely next token, with its probability.
    const best = prediction.top ? prediction.top[0] : prediction;
    if (!best) return "–";
    const known = t(`label.${best.label}`);
    const label = known.startsWith("label.") ? best.label : known;
    return `${label} · ${(best.probability * 100).toFixed(1)}%`;
  }
  if (typeof prediction.value !== "number") return "–";
  const value = Math.abs(prediction.value) >= 100 ? prediction.value.toFixed(1) : prediction.value.toFixed(2);
  return prediction.unit ? `${value} ${prediction.unit}` : value;
}
