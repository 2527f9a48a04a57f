// "This word tipped it": the step where the prediction as it forms moved most from the step
// before (the same rule as app/teaching/forming.py's tipping_step, and the API's tipping_step).

import { t } from "./text.js";

/** The step (from 0) with the largest |series[s] - series[s-1]|; null with fewer than 2 steps. */
export function tippingStep(series) {
  let best = null;
  let bestChange = -1;
  for (let step = 1; step < series.length; step += 1) {
    const now = series[step];
    const before = series[step - 1];
    if (now === null || before === null || now === undefined || before === undefined) continue;
    const change = Math.abs(now - before);
    if (change > bestChange) {
      best = step;
      bestChange = change;
    }
  }
  return best;
}

/** For a multi-class head: the step (from 0) where the most likely class last changed, the one
 *  that settled the final answer; null when it never changed. labels: the argmax at each step. */
export function argmaxTippingStep(labels) {
  let last = null;
  for (let step = 1; step < labels.length; step += 1) {
    if (labels[step] !== null && labels[step - 1] !== null && labels[step] !== labels[step - 1]) last = step;
  }
  return last;
}

/** Plotly layout pieces marking the tipping step of a series drawn at x = 1..n.
 *  tokens: the step labels of a sentence, so the mark can name the word; argmax: the most likely
 *  class at each step (a multi-class head), when the tipping step is where that changed. */
export function tippingMarks(series, { tokens = null, argmax = null } = {}) {
  const step = argmax ? argmaxTippingStep(argmax) : tippingStep(series);
  if (step === null) return { step: null, shapes: [], annotations: [] };
  const x = step + 1;
  // Plotly reads a little HTML in annotation text: a typed word is shown, never interpreted.
  const word = tokens?.[step] ? String(tokens[step]).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`) : null;
  const text = word ? t("forming.word", { token: word }) : t("forming.step");
  const where = x / (series.length + 1);
  const anchor = where > 0.6 ? "right" : where < 0.4 ? "left" : "center";
  return {
    step,
    shapes: [
      {
        type: "rect", xref: "x", yref: "paper", x0: x - 0.5, x1: x + 0.5, y0: 0, y1: 1,
        fillcolor: "rgba(230,159,0,0.18)", line: { width: 0 }, layer: "below",
        name: "tipping-step",
      },
    ],
    annotations: [
      {
        // Anchored to the side away from the nearer edge, so the label stays inside the plot:
        // centred, it ran over the axis title at the left and off a phone's chart at the right.
        x, y: 1, xref: "x", yref: "paper", yanchor: "top", xanchor: anchor, showarrow: false,
        text: `▼ ${text}`, font: { size: 12, color: "#8a3b00" }, bgcolor: "rgba(255,255,255,0.85)",
        name: "tipping-step",
      },
    ],
  };
}
