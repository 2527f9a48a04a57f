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

const MIN_FONT = 12; // no tick or legend text under 12 px (issue 11: 9-11 px was unreadable)
const MAX_TICKS = 10; // horizontal labels; more would run together on a small chart
const MAX_CHARS = 7;

const GAP_PX = 10;
let measurer = null;

/** How wide `label` is at 12 px in the charts' font. */
function textWidth(label) {
  measurer ??= document.createElement("canvas").getContext("2d");
  measurer.font = `${MIN_FONT}px ${FONT.family}`;
  return measurer.measureText(label).width;
}

const cut = (label) => ([...label].length > MAX_CHARS ? `${[...label].slice(0, MAX_CHARS - 1).join("")}…` : label);

/** Horizontal labels that never run together on a plot `width` px wide: words before pads
 *  ("·"), chosen from the last word leftwards, each kept only when there is room for it beside
 *  the one kept before; long words cut with "…" (the hover says the whole word). */
export function thinnedTicks(labels, width = 600) {
  const perStep = width / Math.max(1, labels.length);
  const kept = [];
  for (let index = labels.length - 1; index >= 0; index -= 1) {
    const label = String(labels[index]);
    if (label === "·" || label === "") continue;
    const text = cut(label);
    const previous = kept[kept.length - 1];
    const room = previous ? (previous.x - (index + 1)) * perStep : Infinity;
    if (previous && room < (textWidth(text) + textWidth(previous.text)) / 2 + GAP_PX) continue;
    if (kept.length >= MAX_TICKS) break;
    kept.push({ x: index + 1, text });
  }
  kept.reverse();
  return { tickvals: kept.map(({ x }) => x), ticktext: kept.map(({ text }) => text) };
}

/** Fit a step axis's ticks to the element it is drawn in (before Plotly draws it). */
function fitTicks(element, layout) {
  const labels = layout.xaxis?.labels;
  if (!labels) return layout;
  const margin = layout.margin || {};
  const width = Math.max(120, (element.clientWidth || 600) - (margin.l ?? 80) - (margin.r ?? 80) - 24);
  return { ...layout, xaxis: { ...layout.xaxis, ...thinnedTicks(labels, width) } };
}

/** Ticks that name steps by their labels (tokens repeat, so x stays numeric): thinned and
 *  horizontal, >= 12 px; the full labels ride along for the hover (withStepHover). */
export function stepAxis(labels, extra = {}) {
  const axis = {
    tickmode: "array",
    ...thinnedTicks(labels),  // refitted to the element's width when drawn (fitTicks)
    tickangle: 0,
    range: [0.5, labels.length + 0.5],
    fixedrange: true,
    automargin: true,
    ...extra,
    tickfont: { ...(extra.tickfont || {}), size: Math.max(MIN_FONT, extra.tickfont?.size ?? MIN_FONT) },
  };
  Object.defineProperty(axis, "labels", { value: labels.map(String), enumerable: false });
  return axis;
}

/** Every trace's hover starts with its step's whole label (the axis shows it thinned or cut). */
function withStepHover(traces, layout) {
  const labels = layout.xaxis?.labels;
  if (!labels) return traces;
  return traces.map((trace) => {
    if (trace.text !== undefined || !trace.x || !trace.hovertemplate) return trace;
    return {
      ...trace,
      text: Array.from(trace.x, (x) => `${x} ${labels[x - 1] ?? ""}`.trim()),
      hovertemplate: `%{text} · ${trace.hovertemplate}`,
    };
  });
}

/** Legend and every axis's tick text at least 12 px. */
function legible(layout) {
  const sized = (font) => ({ ...(font || {}), size: Math.max(MIN_FONT, font?.size ?? MIN_FONT) });
  const out = { ...layout, legend: { ...(layout.legend || {}), font: sized(layout.legend?.font) } };
  for (const key of Object.keys(layout).filter((name) => /^[xy]axis\d*$/.test(name))) {
    // automargin: an axis title (°C beside two-digit ticks) gets the room it needs, never cut
    out[key] = { automargin: true, ...layout[key], tickfont: sized(layout[key].tickfont) };
  }
  return out;
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
    hovertemplate: "%{text} · %{y}: %{z:.3f}<extra></extra>",
    hoverongaps: false,
  };
  const full = (labels || oneTo(steps).map(String)).map((label, index) => `${index + 1} ${label}`);
  trace.text = new Array(unitsOf(values)).fill(full); // the hover names the step's whole label
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
  element.setAttribute("role", "group"); // not img: its mode bar holds buttons
  element.setAttribute("aria-label", t("heatmap.named", { title: title || yTitle, units: unitsOf(values), steps }));
  return Plotly.react(element, [trace], legible(fitTicks(element, layout)), CONFIG);
}

export function react(element, traces, layout) {
  return Plotly.react(element, withStepHover(traces, layout), legible(fitTicks(element, layout)), CONFIG);
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
