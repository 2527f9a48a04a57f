// The prediction (shown when the animation reaches the last step) and "the prediction as it
// forms": the head applied to h after every step, drawn up to the current step.

import { CONFIG, FONT } from "./plots.js";
import { t } from "./i18n.js";
import { oneTo } from "./trace-data.js";

const Plotly = window.Plotly;

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
    return Plotly.react(this.chart, this.traces(view.step), this.layout(), CONFIG);
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
      margin: { l: 44, r: 8, t: 4, b: 22 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fff",
      showlegend: false,
      xaxis: { range: [0.5, this.series.length + 0.5], fixedrange: true, gridcolor: "#eee" },
      yaxis: {
        range: sentiment ? [0, 1] : [low - pad, high + pad],
        fixedrange: true,
        gridcolor: "#eee",
        tickvals: sentiment ? [0, 0.5, 1] : undefined,
        title: { text: sentiment ? t("prediction.positive") : this.payload.prediction?.unit || "", standoff: 4 },
      },
      shapes: sentiment
        ? [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 0.5, y1: 0.5, line: { color: "#888", dash: "dash", width: 1.5 } }]
        : [],
    };
  }

  traces(step) {
    const shown = this.series.slice(0, step);
    return [
      {
        type: "scatter",
        mode: "lines+markers",
        x: oneTo(shown.length),
        y: shown,
        line: { color: "#0072B2", width: 3 },
        marker: { size: 5 },
        hovertemplate: "%{x}: %{y:.3f}<extra></extra>",
      },
      {
        type: "scatter",
        mode: "markers",
        x: [step],
        y: [this.series[step - 1] ?? null],
        marker: { size: 13, color: "#E69F00", line: { color: "#000", width: 2 } },
        hoverinfo: "skip",
      },
    ];
  }

  setStep(step) {
    if (step === this.step) return null;
    this.step = step;
    this.renderBox(step);
    if (!this.series) return null;
    const [line, point] = this.traces(step);
    return Plotly.restyle(this.chart, { x: [line.x, point.x], y: [line.y, point.y] }, [0, 1]);
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
      this.box.append(paragraph("label", prediction.label));
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
