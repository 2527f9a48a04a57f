// Shared Plotly settings (projector-friendly fonts and colours) and the heatmap view.
// Each view follows one lifecycle: update(data) shapes the data and renders it once with
// Plotly.react; setStep/setUnit then move only the markers, which sit in an overlay (overlay.js).

import { DOWNLOAD_CONFIG } from "./export.js";
import { t } from "./i18n.js";
import { Overlay } from "./overlay.js";
import { oneTo, stepColumns, transpose, unitsOf } from "./trace-data.js";

const Plotly = window.Plotly;

export const FONT = {
  family: '"Noto Sans CJK KR", "NanumGothic", "Noto Sans KR", "Noto Sans", "DejaVu Sans", sans-serif',
  size: 15,
  color: "#111",
};

// 0..1 (sigmoid gates): viridis, ordered in lightness, safe for colour blindness and beamers.
export const SEQUENTIAL = [
  [0, "#440154"],
  [0.1, "#482475"],
  [0.2, "#414487"],
  [0.3, "#355f8d"],
  [0.4, "#2a788e"],
  [0.5, "#21918c"],
  [0.6, "#22a884"],
  [0.7, "#44bf70"],
  [0.8, "#7ad151"],
  [0.9, "#bddf26"],
  [1, "#fde725"],
];
// -1..1 (tanh, c, h): blue - near white - orange; no red-green contrast, 0 reads as neutral.
export const DIVERGING = [
  [0, "#08306b"],
  [0.15, "#2166ac"],
  [0.32, "#6fa8dc"],
  [0.5, "#f5f5f5"],
  [0.68, "#f6b26b"],
  [0.85, "#d9661f"],
  [1, "#7f2704"],
];

export const CONFIG = { ...DOWNLOAD_CONFIG, responsive: true, doubleClick: false };

export function colorscale(range) {
  return range.kind === "sequential" ? SEQUENTIAL : DIVERGING;
}

const rgb = (hex) => [1, 3, 5].map((start) => Number.parseInt(hex.slice(start, start + 2), 16));

/** The colour a heatmap gives `value` in `range`, as "rgb(r,g,b)" (bars use it per unit). */
export function colorOf(value, range) {
  const stops = colorscale(range);
  const span = range.zmax - range.zmin || 1;
  const x = Math.min(1, Math.max(0, ((value ?? 0) - range.zmin) / span));
  let index = 1;
  while (index < stops.length - 1 && stops[index][0] < x) index += 1;
  const [x0, c0] = stops[index - 1];
  const [x1, c1] = stops[index];
  const w = x1 === x0 ? 0 : (x - x0) / (x1 - x0);
  const [a, b] = [rgb(c0), rgb(c1)];
  return `rgb(${a.map((v, k) => Math.round(v + (b[k] - v) * w)).join(",")})`;
}

function heatmapHeight(units) {
  return Math.round(Math.min(170, Math.max(96, units * 3.2))) + 34;
}

/** Ticks for collapsed pads: the pads' column says "pads ×n", others their real step number. */
function padTicks(columns) {
  const every = Math.max(1, Math.ceil(columns.length / 12));
  const ticks = columns
    .map((column, index) => ({ column, position: index + 1 }))
    .filter(({ column, position }) => (column.pad && column.last > column.first) || position % every === 0);
  return {
    tickmode: "array",
    tickvals: ticks.map(({ position }) => position),
    ticktext: ticks.map(({ column }) =>
      column.pad && column.last > column.first ? t("pads.tick", { a: column.first, b: column.last }) : String(column.last)),
  };
}

const HEATMAP_MARGIN = { l: 46, r: 84, t: 4, b: 30 };

/** One heatmap (units x steps) of one series, with the current step and followed unit marked. */
export class Heatmap {
  constructor(element, onPick) {
    this.element = element;
    this.onPick = onPick;
    this.overlay = new Overlay(element);
    this.bound = false;
    this.step = 1;
    this.unit = 1;
  }

  /** series: {values (steps x units), range}; view: {step, unit} counted from 1. */
  update(series, view) {
    this.series = series;
    this.tokens = view.tokens ?? null;
    const steps = series.values.length;
    const units = unitsOf(series.values);
    // Pads collapsed: one column per run of pads (its last step's values), labelled; the x of
    // every other column is its position, its tick and hover the real step (customdata).
    const { columns, columnOf } = stepColumns(view.kinds, steps, Boolean(view.collapsePads));
    this.columnOf = columnOf;
    this.columns = columns;
    const shown = columns.map((column) => series.values[column.last - 1]);
    const realSteps = columns.map((column) => column.last);
    const trace = {
      type: "heatmap",
      z: transpose(shown),
      x: oneTo(columns.length),
      y: oneTo(units),
      zmin: series.range.zmin,
      zmax: series.range.zmax,
      colorscale: colorscale(series.range),
      colorbar: {
        thickness: 14,
        len: 1,
        outlinewidth: 0,
        tickvals: [series.range.zmin, (series.range.zmin + series.range.zmax) / 2, series.range.zmax],
        tickfont: { size: 13 },
        x: 1.025,
        xpad: 4,
      },
      hovertemplate: `${t(view.tokens ? "hover.token" : "hover")}<extra></extra>`,
      hoverongaps: false,
      customdata: new Array(units).fill(realSteps),
    };
    if (view.tokens) {
      // Every row names the same tokens: one shared array, not units copies.
      const labels = columns.map((column) => {
        if (column.pad && column.last > column.first) return t("pads.column", { n: column.last - column.first + 1 });
        const token = view.tokens[column.last - 1];
        return token === "<pad>" ? "·" : token;
      });
      trace.text = new Array(units).fill(labels);
    }
    const height = heatmapHeight(units);
    const x = [0.5, columns.length + 0.5];
    const y = [units + 0.5, 0.5]; // unit 1 on top, as in a matrix
    const layout = {
      font: FONT,
      height,
      margin: HEATMAP_MARGIN,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#ddd",
      xaxis: { range: x, tickfont: { size: 13 }, fixedrange: true, ticks: "outside", ticklen: 4,
        ...(columns.length < steps ? padTicks(columns) : {}) },
      yaxis: {
        range: y,
        tickfont: { size: 13 },
        fixedrange: true,
        title: { text: t("axis.unit"), font: { size: 13 }, standoff: 4 },
      },
    };
    const done = Plotly.react(this.element, [trace], layout, CONFIG);
    this.overlay.frame({ margin: HEATMAP_MARGIN, height, x, y });
    this.step = null;
    this.unit = null;
    this.setStep(view.step);
    this.setUnit(view.unit);
    this.bind();
    this.name();
    return done;
  }

  /** The heatmap's accessible name (role=group on its focusable wrapper) and, beside it in a
   *  visually hidden line, the current step's value of every unit: the keyboard's way in. */
  name() {
    const wrap = this.element.parentElement;
    if (!wrap || !this.series) return;
    const series = this.series;
    wrap.setAttribute("aria-label", t("heatmap.name", {
      title: series.title ?? series.key, symbol: series.symbol ?? "", units: unitsOf(series.values), steps: series.values.length,
    }));
    this.describe();
  }

  describe() {
    const wrap = this.element.parentElement;
    const row = this.series?.values[(this.step ?? 1) - 1];
    if (!wrap || !row) return;
    let line = wrap.querySelector(".now-values");
    if (!line) {
      line = document.createElement("p");
      line.className = "now-values sr-only";
      line.id = `now-${this.element.dataset.testid}`;
      wrap.append(line);
      wrap.setAttribute("aria-describedby", line.id);
    }
    const token = this.tokens?.[this.step - 1];
    line.textContent = t("heatmap.now", {
      t: this.step,
      token: token ? ` “${token}”` : "",
      k: this.unit ?? 1,
      values: row.map((value, k) => `${k + 1}: ${value === null ? "–" : value.toFixed(2)}`).join(", "),
    });
  }

  bind() {
    if (this.bound) return;
    this.bound = true;
    this.element.on("plotly_click", (event) => {
      const point = event.points?.[0];
      if (!point) return;
      const column = this.columns?.[Number(point.x) - 1];
      this.onPick({
        step: column ? column.last : Number(point.x),
        unit: Number(point.y),
        shift: Boolean(event.event?.shiftKey),
      });
    });
  }

  setStep(step) {
    if (step === this.step) return null;
    this.step = step;
    const column = this.columnOf?.[step - 1] ?? step;
    this.overlay.rect("step", "mark-step", { x: [column - 0.5, column + 0.5] }, { step, column });
    this.describe();
    return null;
  }

  setUnit(unit) {
    if (unit === this.unit) return null;
    this.unit = unit;
    this.overlay.rect("unit", "mark-unit", { y: [unit - 0.5, unit + 0.5] }, { unit });
    this.overlay.point("pointer", "mark-pointer", { x: "right", y: unit });
    this.describe();
    return null;
  }
}
