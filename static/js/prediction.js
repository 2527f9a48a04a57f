// The prediction (shown when the animation reaches the last step) and "the prediction as it
// forms": the head applied to h after every step, drawn up to the current step.
// Four heads (payload.task): sentiment (P(positive) over steps), regression (the value),
// classification (the label and a bar per class; the top 3 classes as lines over steps) and
// next-token (at every step, the top candidates for the next token; the top one's probability).

import { CONFIG, FONT } from "./plots.js";
import { t } from "./i18n.js";
import { Overlay } from "./overlay.js";
import { oneTo } from "./trace-data.js";

const Plotly = window.Plotly;
const MASK = "not-yet-formed";

function isSentiment(prediction) {
  return prediction && "positive_probability" in prediction;
}

const LINE_COLORS = ["#0072B2", "#E69F00", "#009E73"];
const TOP_CLASSES = 3;

/** The head of a trace: "sentiment", "classification", "regression" or "next-token". */
export function taskOf(payload) {
  if (payload.task) return payload.task;
  const prediction = payload.prediction || payload.step_predictions?.[0];
  if (prediction?.classes) return "classification";
  if (prediction?.top) return "next-token";
  if (isSentiment(prediction)) return "sentiment";
  return "regression";
}

const probabilityOf = (item, label) => item?.classes?.find((entry) => entry.label === label)?.probability ?? null;

/** The label with the highest probability in one classification prediction. */
function argmax(item) {
  if (!item?.classes?.length) return null;
  return item.classes.reduce((best, entry) => (entry.probability > best.probability ? entry : best)).label;
}

/**
 * A class or token label in the page's language: the model's own translation (names, from its
 * config), else the interface's word for it, else the label as it is.
 */
function labelText(label, names = {}) {
  if (names[label]) return names[label];
  const known = t(`label.${label}`);
  return known.startsWith("label.") ? String(label) : known;
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
    this.names = view.labels || {};
    this.step = view.step;
    const steps = payload.step_predictions;
    this.task = taskOf(payload);
    this.lines = steps ? this.formingLines(steps) : null;
    this.series = this.lines ? this.lines[0].y : null;
    this.renderBox(view.step);
    if (!this.series) {
      this.chart.hidden = true;
      return Plotly.purge(this.chart);
    }
    this.chart.hidden = false;
    const layout = this.layout();
    if (this.task === "classification") this.chart.dataset.argmax = JSON.stringify(steps.map(argmax));
    else delete this.chart.dataset.argmax;
    const done = Plotly.react(this.chart, this.traces(), layout, CONFIG);
    this.overlay.frame({ margin: layout.margin, height: layout.height, x: layout.xaxis.range, y: layout.yaxis.range });
    this.placeDot(view.step);
    return done;
  }

  /** The lines of "prediction as it forms": [{name, y, text}], the one the dot follows first. */
  formingLines(steps) {
    if (this.task === "classification") {
      const last = steps[steps.length - 1];
      const top = [...(last?.classes || [])].sort((a, b) => b.probability - a.probability).slice(0, TOP_CLASSES);
      return top.map((entry) => ({ name: labelText(entry.label, this.names), label: entry.label, y: steps.map((item) => probabilityOf(item, entry.label)) }));
    }
    if (this.task === "next-token") {
      const lines = [{ name: t("prediction.next.top"), y: steps.map((item) => item?.top?.[0]?.probability ?? null), text: steps.map((item) => item?.top?.[0]?.label ?? "") }];
      // Real text: how likely the model found what came next (low where it was surprised).
      if (steps.some((item) => item?.came)) {
        lines.push({ name: t("prediction.came.line"), y: steps.map((item) => item?.came?.probability ?? null), text: steps.map((item) => item?.came?.label ?? "") });
      }
      return lines;
    }
    return [{ name: "", y: steps.map((item) => (isSentiment(item) ? item.positive_probability : item?.value ?? null)) }];
  }

  layout() {
    const sentiment = isSentiment(this.payload.prediction);
    const probability = sentiment || this.task === "classification" || this.task === "next-token";
    const axisTitle = sentiment
      ? t("prediction.positive")
      : probability
        ? t(this.task === "next-token" ? "prediction.next.top" : "prediction.probability.axis")
        : this.payload.prediction?.unit || "";
    const finite = this.series.filter((value) => value !== null);
    const low = Math.min(...finite);
    const high = Math.max(...finite);
    const pad = (high - low) * 0.1 || 1;
    return {
      font: { ...FONT, size: 13 },
      height: this.lines.length > 1 ? 136 : 112,
      margin: { l: 44, r: 10, t: this.lines.length > 1 ? 30 : 8, b: 22 },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "#fff",
      showlegend: this.lines.length > 1,
      legend: { orientation: "h", x: 0, y: 1.02, yanchor: "bottom", font: { size: 12 } },
      xaxis: { range: [0.5, this.series.length + 0.5], fixedrange: true, gridcolor: "#eee" },
      yaxis: {
        range: probability ? [-0.04, 1.04] : [low - pad, high + pad],
        fixedrange: true,
        gridcolor: "#eee",
        zeroline: false,
        tickvals: probability ? [0, 0.5, 1] : undefined,
        title: { text: axisTitle, standoff: 4 },
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
    return this.lines.map((item, index) => ({
      type: "scatter",
      mode: this.series.length > 60 ? "lines" : "lines+markers",
      name: item.name,
      meta: item.label ?? null,
      x: oneTo(this.series.length),
      y: item.y,
      // forming.js names the tipping word from the input's tokens; next-token shows its guesses
      text: index === 0 ? (this.payload.tokens ?? undefined) : undefined,
      customdata: item.text,
      line: { color: LINE_COLORS[index % LINE_COLORS.length], width: index === 0 ? 3 : 2 },
      marker: { size: 5 },
      hovertemplate: item.text ? "%{x}: %{customdata} %{y:.3f}<extra></extra>" : "%{x}: %{y:.3f}<extra></extra>",
    }));
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

  /** At `step`, the top candidates for the next token (step_predictions[step − 1].top). */
  renderNext(step) {
    const item = this.payload.step_predictions?.[step - 1] ?? (step >= this.payload.steps ? this.payload.prediction : null);
    if (!item?.top?.length) {
      this.box.append(paragraph("pending", t("prediction.none")));
      return;
    }
    this.box.dataset.state = "shown";
    this.box.dataset.label = item.top[0].label;
    this.box.dataset.step = String(step);
    this.box.append(paragraph("detail", t("prediction.next", { t: step })));
    this.box.append(paragraph("label", String(item.top[0].label)));
    this.box.append(classBars(item.top, item.top[0].label, "next-token-candidates", "next-token-candidate"));
    if (item.came) {
      const came = paragraph("detail", t("prediction.came", {
        label: JSON.stringify(item.came.label),
        p: item.came.probability.toFixed(3),
        bits: item.came.bits.toFixed(2),
      }));
      came.dataset.testid = "next-token-came";
      came.dataset.label = item.came.label;
      came.dataset.bits = String(item.came.bits);
      this.box.append(came);
    }
  }

  renderBox(step) {
    const prediction = this.payload.prediction;
    const last = step >= this.payload.steps;
    this.box.replaceChildren();
    this.box.dataset.state = last && prediction ? "shown" : "pending";
    this.box.dataset.task = this.task;
    delete this.box.dataset.label;
    if (this.task === "next-token") {
      this.renderNext(step);
      return;
    }
    if (!prediction) {
      this.box.append(paragraph("pending", t("prediction.none")));
      return;
    }
    if (!last) {
      this.box.append(paragraph("pending", t("prediction.pending")));
      return;
    }
    if (this.task === "classification") {
      this.box.append(paragraph("label", labelText(prediction.label, this.names)));
      const percent = (prediction.probability * 100).toFixed(1);
      this.box.append(paragraph("detail", t("prediction.probability", { p: percent })));
      this.box.append(classBars(prediction.classes || [], prediction.label, "prediction-classes", "prediction-class", this.names));
      this.box.dataset.label = prediction.label;
    } else if (isSentiment(prediction)) {
      // The shipped labels are English words; the page says them in its own language.
      this.box.append(paragraph("label", labelText(prediction.label, this.names)));
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

/** A bar per entry ({label, probability}), in the order given; the chosen one marked. */
function classBars(entries, chosen, listId, itemId, names = {}) {
  const list = document.createElement("ul");
  list.className = "prediction-classes";
  list.dataset.testid = listId;
  for (const entry of entries) {
    const item = document.createElement("li");
    item.dataset.testid = itemId;
    item.dataset.label = String(entry.label);
    item.dataset.probability = String(entry.probability);
    if (entry.label === chosen) item.classList.add("top");
    const name = document.createElement("span");
    name.className = "class-label";
    name.textContent = labelText(entry.label, names);
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = `${Math.max(0, Math.min(1, entry.probability)) * 100}%`;
    bar.append(fill);
    const percent = document.createElement("span");
    percent.className = "percent";
    percent.textContent = `${(entry.probability * 100).toFixed(1)}%`;
    item.append(name, bar, percent);
    list.append(item);
  }
  return list;
}

function paragraph(kind, text) {
  const element = document.createElement("p");
  element.className = `prediction-${kind}`;
  element.textContent = text;
  return element;
}
