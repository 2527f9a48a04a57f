// The prediction (shown when the animation reaches the last step) and "the prediction as it
// forms": the head applied to h after every step, drawn up to the current step.

import { CONFIG, FONT } from "./plots.js";
import { t } from "./i18n.js";
import { Overlay } from "./overlay.js";
import { oneTo } from "./trace-data.js";

const Plotly = window.Plotly;
const MASK = "not-yet-formed";

function isSentiment(prediction) {
  return prediction && "positive_probability" in prediction;
}

function formatValue(value) {
  const digits = Math.abs(value) >= 100 ? 1 : 2;
  return value.toFixed(digits);
}

export class PredictionView {
  constructor(box, chart) {
    this.box = box;
    this.chart = chart;
    this.overlay = new Overlay(chart);
    this.payload = null;
    this.series = null;
    this.step = 1;
  }

  update(payload, view) {
    this.payload = payload;
    this.step = view.step;
    const steps = payload.step_predictions;
    this.series = steps ? steps.map((item) => (isSentiment(item) ? item.positive_probability : item.value)) : null;
    this.renderBox(view.step);
    if (!this.series) {
      this.chart.hidden = true;
      return Plotly.purge(this.chart);
    }
    this.chart.hidden = false;
    const layout = this.layout();
    const done = Plotly.react(this.chart, this.traces(), layout, CONFIG);
    this.overlay.frame({ margin: layout.margin, height: layout.height, x: layout.xaxis.range, y: layout.yaxis.range });
    this.placeDot(view.step);
    return done;
  }

  layout() {
    const sentiment = isSentiment(this.payload.prediction);
    const finite = this.series.filter((value) => value !== null);
    const low = Math.min(...finite);
    const high = Math.max(...finite);
    const pad = (high - low) * 0.1 || 1;
    return {
      font: { ...FONT, size: 13 },
      height: 112,
      margin: { l: 44, r: 10, t: 8, b: 22 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fff",
      showlegend: false,
      xaxis: { range: [0.5, this.series.length + 0.5], fixedrange: true, gridcolor: "#eee" },
      yaxis: {
        range: sentiment ? [-0.04, 1.04] : [low - pad, high + pad],
        fixedrange: true,
        gridcolor: "#eee",
        zeroline: false,
        tickvals: sentiment ? [0, 0.5, 1] : undefined,
        title: { text: sentiment ? t("prediction.positive") : this.payload.prediction?.unit || "", standoff: 4 },
      },
      shapes: [
        // What has not formed yet, veiled. A Plotly shape (not an overlay) so that labels other
        // modules annotate the chart with (teaching/forming.js) stay readable above it.
        {
          name: MASK, type: "rect", xref: "x", yref: "paper", y0: 0, y1: 1, layer: "above",
          x0: this.step + 0.5, x1: this.series.length + 0.5, visible: this.step < this.series.length,
          fillcolor: "rgba(255,255,255,0.88)", line: { width: 0 },
        },
        ...(sentiment
          ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5, y1: 0.5, line: { color: "#888", dash: "dash", width: 1.5 } }]
          : []),
      ],
    };
  }

  /** The whole line, drawn once; the overlay hides what has not formed yet. */
  traces() {
    return [
      {
        type: "scatter",
        mode: this.series.length > 60 ? "lines" : "lines+markers",
        x: oneTo(this.series.length),
        y: this.series,
        text: this.payload.tokens ?? undefined, // forming.js names the tipping word from these
        line: { color: "#0072B2", width: 3 },
        marker: { size: 5 },
        hovertemplate: "%{x}: %{y:.3f}<extra></extra>",
      },
    ];
  }

  setStep(step) {
    if (step === this.step) return null;
    this.step = step;
    this.renderBox(step);
    if (!this.series) return null;
    this.placeDot(step);
    const index = (this.chart.layout?.shapes || []).findIndex((shape) => shape.name === MASK);
    if (index < 0) return null;
    return Plotly.relayout(this.chart, {
      [`shapes[${index}].x0`]: step + 0.5,
      [`shapes[${index}].visible`]: step < this.series.length,
    });
  }

  placeDot(step) {
    const value = this.series[step - 1];
    if (value === null || value === undefined) this.overlay.hide("now");
    else this.overlay.point("now", "now-dot", { x: step, y: value }, { step });
  }

  renderBox(step) {
    const prediction = this.payload.prediction;
    const last = step >= this.payload.steps;
    this.box.replaceChildren();
    this.box.dataset.state = last && prediction ? "shown" : "pending";
    if (!prediction) {
      this.box.append(paragraph("pending", t("prediction.none")));
      return;
    }
    if (!last) {
      this.box.append(paragraph("pending", t("prediction.pending")));
      return;
    }
    if (isSentiment(prediction)) {
      // The shipped labels are English words; the page says them in its own language.
      const known = t(`label.${prediction.label}`);
      this.box.append(paragraph("label", known.startsWith("label.") ? prediction.label : known));
      const percent = (prediction.probability * 100).toFixed(1);
      this.box.append(paragraph("detail", t("prediction.probability", { p: percent })));
      this.box.dataset.label = prediction.label;
    } else {
      const unit = prediction.unit ? ` ${prediction.unit}` : "";
      this.box.append(paragraph("label", `${formatValue(prediction.value)}${unit}`));
      this.box.append(paragraph("detail", t("prediction.value")));
    }
  }
}

function paragraph(kind, text) {
  const element = document.createElement("p");
  element.className = `prediction-${kind}`;
  element.textContent = text;
  return element;
}
