// One unit followed across all steps: a line per gate, c and h, with the current step marked.
// Colours (Okabe-Ito) and dash patterns both tell the lines apart, for colour-blind viewers too.

import { CONFIG, FONT } from "./plots.js";
import { t } from "./i18n.js";
import { Overlay } from "./overlay.js";
import { oneTo } from "./trace-data.js";

const Plotly = window.Plotly;

const STYLE = {
  input: { color: "#0072B2", dash: "dot" },
  forget: { color: "#E69F00", dash: "dash" },
  reset: { color: "#0072B2", dash: "dot" },
  update: { color: "#E69F00", dash: "dash" },
  candidate: { color: "#009E73", dash: "dashdot" },
  output: { color: "#CC79A7", dash: "longdash" },
  cell: { color: "#D55E00", dash: "solid" },
  hidden: { color: "#000000", dash: "solid" },
};

export class UnitLines {
  constructor(element) {
    this.element = element;
    this.overlay = new Overlay(element);
    this.step = 1;
  }

  update(series, view) {
    this.step = view.step;
    const steps = series[0].values.length;
    // Gates keep their fixed ranges; an unbounded c widens the axis only as far as this unit goes.
    const values = series.flatMap((item) => item.values.map((row) => row[view.unit - 1] ?? 0));
    const lows = [...series.map((item) => Math.max(item.range.zmin, -1)), ...values];
    const highs = [...series.map((item) => Math.min(item.range.zmax, 1)), ...values];
    const traces = series.map((item) => ({
      type: "scatter",
      mode: steps > 60 ? "lines" : "lines+markers",
      name: item.symbol,
      x: oneTo(steps),
      y: item.values.map((row) => row[view.unit - 1] ?? null),
      line: { ...STYLE[item.key], width: item.key === "hidden" || item.key === "cell" ? 3.5 : 2.5 },
      marker: { size: 5 },
      hovertemplate: `${item.symbol}: %{y:.3f}<extra>${t("axis.step")} %{x}</extra>`,
    }));
    const margin = { l: 46, r: 10, t: 8, b: 34 };
    const height = 250;
    const x = [0.5, steps + 0.5];
    const y = [Math.min(...lows) - 0.05, Math.max(...highs) + 0.05];
    const layout = {
      font: FONT,
      height,
      margin,
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fff",
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 15 } },
      xaxis: {
        range: x,
        fixedrange: true,
        title: { text: t("axis.step"), font: { size: 13 }, standoff: 2 },
        gridcolor: "#eee",
      },
      yaxis: { range: y, fixedrange: true, zeroline: true, zerolinecolor: "#888", gridcolor: "#eee" },
    };
    const done = Plotly.react(this.element, traces, layout, CONFIG);
    this.overlay.frame({ margin, height, x, y });
    this.step = null;
    this.setStep(view.step);
    return done;
  }

  setStep(step) {
    if (step === this.step) return null;
    this.step = step;
    this.overlay.rect("step", "mark-band", { x: [step - 0.5, step + 0.5] }, { step });
    return null;
  }
}
