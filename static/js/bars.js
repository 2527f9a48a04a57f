// The current step's vectors as bars: one small panel per series (each gate, c, h), units on x.
// update() draws the panels once; setStep() only restyles the bar heights and colours.

import { CONFIG, FONT, colorOf } from "./plots.js";
import { oneTo, unitsOf } from "./trace-data.js";

const Plotly = window.Plotly;
const PANEL_PX = 84;
const GAP = 0.11;

export class StepBars {
  constructor(element) {
    this.element = element;
    this.series = [];
    this.step = 1;
    this.unit = 1;
  }

  update(series, view) {
    this.series = series;
    this.step = view.step;
    this.unit = view.unit;
    const count = series.length;
    const units = unitsOf(series[0].values);
    const span = (1 - GAP * (count - 1)) / count;
    const layout = {
      font: { ...FONT, size: 13 },
      height: count * PANEL_PX + 40,
      margin: { l: 46, r: 10, t: 6, b: 28 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fff",
      showlegend: false,
      bargap: units > 32 ? 0.1 : 0.25,
      annotations: [],
    };
    const traces = series.map((item, index) => {
      const axis = index === 0 ? "" : String(index + 1);
      const top = 1 - index * (span + GAP);
      layout[`yaxis${axis}`] = {
        domain: [top - span, top],
        range: [item.range.zmin, item.range.zmax],
        fixedrange: true,
        tickvals: [item.range.zmin, item.range.zmax],
        zeroline: true,
        zerolinecolor: "#444",
        gridcolor: "#e6e6e6",
      };
      layout[`xaxis${axis}`] = {
        anchor: `y${axis}`,
        range: [0.5, units + 0.5],
        fixedrange: true,
        showticklabels: index === count - 1,
        matches: index === 0 ? undefined : "x",
        tickfont: { size: 12 },
      };
      layout.annotations.push({
        xref: "paper",
        yref: `y${axis} domain`,
        x: 0.005,
        y: 1,
        xanchor: "left",
        yanchor: "top",
        text: `<b>${item.symbol}</b>`,
        showarrow: false,
        font: { size: 16, color: "#111" },
        bgcolor: "rgba(255,255,255,0.85)",
      });
      return {
        type: "bar",
        x: oneTo(units),
        y: this.column(item, view.step),
        xaxis: `x${axis}`,
        yaxis: `y${axis}`,
        marker: this.marker(item, view.step, view.unit),
        hovertemplate: `${item.symbol} · unit %{x}: %{y:.3f}<extra></extra>`,
      };
    });
    return Plotly.react(this.element, traces, layout, CONFIG);
  }

  column(item, step) {
    const row = item.values[step - 1] || [];
    return row.map((value) => (value === null ? 0 : value));
  }

  marker(item, step, unit) {
    return { color: this.colors(item, step), line: { color: "#000", width: this.outline(item, unit) } };
  }

  /** Each bar in its heatmap colour (Plotly 4 bars warn on numeric colour arrays). */
  colors(item, step) {
    return this.column(item, step).map((value) => colorOf(value, item.range));
  }

  /** Only the selected unit's bar has an outline. */
  outline(item, unit) {
    return item.values[0].map((_, index) => (index + 1 === unit ? 2.5 : 0));
  }

  /** Only heights, colours and the selected unit's outline change. */
  setView(view) {
    if (view.step === this.step && view.unit === this.unit) return null;
    this.step = view.step;
    this.unit = view.unit;
    const indices = this.series.map((_, index) => index);
    return Plotly.restyle(
      this.element,
      {
        y: this.series.map((item) => this.column(item, view.step)),
        "marker.color": this.series.map((item) => this.colors(item, view.step)),
        "marker.line.width": this.series.map((item) => this.outline(item, view.unit)),
      },
      indices,
    );
  }
}
