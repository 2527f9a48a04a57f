// "This word tipped it": the step where the prediction as it forms moved most from the step
// before (the same rule as app/teaching/forming.py's tipping_step, and the API's tipping_step).

import { lang } from "../i18n.js";

const TEXT = {
  en: { text: "tipped it", numbers: "moved most" },
  ko: { text: "이 단어가 결정", numbers: "가장 크게 움직임" },
};

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

/** Plotly layout pieces marking the tipping step of a series drawn at x = 1..n. */
export function tippingMarks(series, { words = true, label = null } = {}) {
  const step = tippingStep(series);
  if (step === null) return { step: null, shapes: [], annotations: [] };
  const x = step + 1;
  const language = lang() === "ko" ? "ko" : "en";
  const text = label ?? (words ? TEXT[language].text : TEXT[language].numbers);
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
        x, y: 1, xref: "x", yref: "paper", yanchor: "bottom", showarrow: false,
        text: `▼ ${text}`, font: { size: 12, color: "#8a3b00" }, name: "tipping-step",
      },
    ],
  };
}
