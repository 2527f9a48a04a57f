// The "attribution" row under the tokens (issue 13), on the what-if page and, behind a toggle, in
// the explorer: one cell per step with the step's score from POST /api/v1/models/{id}/attribution
// (integrated gradients by default; with method "all", the three methods one row each and their
// rank correlation). Cells are coloured on one symmetric scale per row (blue pulls the scored
// output down, orange pushes it up); every cell keeps the API's number in data-score.

import { api } from "./api.js";
import { lang } from "./i18n.js";
import { colorOf } from "./plots.js";

const TEXT = {
  en: {
    title: "Attribution",
    toggle: "attribution row",
    integrated_gradients: "integrated gradients",
    occlusion: "occlusion",
    gradient_x_input: "gradient × input",
    scored: "how much each step drove “{scored}”",
    gap: "completeness gap {gap}% ({n} steps)",
    rho: "rank correlation (Spearman ρ)",
    all: "all methods side by side",
    loading: "Computing the attribution…",
    failed: "The attribution could not be computed: {why}",
  },
  ko: {
    title: "기여도",
    toggle: "기여도 줄",
    integrated_gradients: "적분 그래디언트",
    occlusion: "가림(occlusion)",
    gradient_x_input: "그래디언트 × 입력",
    scored: "각 스텝이 “{scored}”에 기여한 정도",
    gap: "완전성 오차 {gap}% ({n} 스텝)",
    rho: "순위 상관 (스피어만 ρ)",
    all: "모든 방법 나란히",
    loading: "기여도를 계산하는 중…",
    failed: "기여도를 계산하지 못했습니다: {why}",
  },
};
export const METHODS = ["integrated_gradients", "occlusion", "gradient_x_input"];

/** The attribution module's words in the page's language. */
export function attributionText(key, params = {}) {
  const text = TEXT[lang()]?.[key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** POST .../attribution: {input, method}. */
export function fetchAttribution(modelId, input, method = "integrated_gradients") {
  return api.post(`/models/${encodeURIComponent(modelId)}/attribution`, { input, method });
}

export class AttributionRow {
  /** container: where the rows go (its data-state says loading, ready or error). */
  constructor(container) {
    this.container = container;
    this.container.classList.add("attribution");
    this.payload = null;
  }

  loading() {
    this.container.dataset.state = "loading";
    this.container.replaceChildren(element("p", "hint", attributionText("loading")));
  }

  failed(why) {
    this.payload = null;
    this.container.dataset.state = "error";
    this.container.replaceChildren(element("p", "attribution-error", attributionText("failed", { why })));
  }

  /** Draw an AttributionResponse. */
  update(payload) {
    this.payload = payload;
    const rows = Object.entries(payload.scores).map(([method, scores]) => this.row(payload, method, scores));
    const caption = element("p", "hint attribution-caption", attributionText("scored", { scored: this.scoredLabel(payload.scored) }));
    if (payload.completeness_gap !== null && payload.completeness_gap !== undefined) {
      const gap = element("span", "attribution-gap", ` · ${attributionText("gap", { gap: (payload.completeness_gap * 100).toFixed(2), n: payload.ig_steps })}`);
      gap.dataset.gap = String(payload.completeness_gap);
      caption.append(gap);
    }
    this.container.replaceChildren(caption, ...rows);
    if (payload.rank_correlation) this.container.append(this.correlation(payload.rank_correlation));
    this.container.dataset.state = "ready";
    this.container.dataset.method = payload.method;
  }

  scoredLabel(scored) {
    const known = { positive: { en: "positive", ko: "긍정" }, value: { en: "value", ko: "값" } }[scored];
    return known ? known[lang()] ?? known.en : scored;
  }

  row(payload, method, scores) {
    const row = element("div", "attribution-line");
    row.dataset.testid = `attribution-${method}`;
    row.dataset.method = method;
    row.append(element("span", "attribution-method", attributionText(method)));
    const cells = element("ol", "attribution-cells");
    const bound = Math.max(1e-12, ...scores.map((score) => Math.abs(score)));
    const range = { zmin: -bound, zmax: bound, kind: "diverging" };
    scores.forEach((score, index) => {
      const kind = payload.token_kinds?.[index] ?? "word";
      const token = payload.tokens ? (kind === "pad" ? "·" : payload.tokens[index]) : String(index + 1);
      const cell = element("li", `attribution-cell kind-${kind}`);
      cell.append(element("span", "attribution-token", token), element("span", "attribution-score", score.toFixed(3)));
      cell.style.backgroundColor = colorOf(score, range);
      if (Math.abs(score) > bound * 0.6) cell.classList.add("strong");
      cell.dataset.step = String(index + 1);
      cell.dataset.score = String(score);
      cell.title = `${index + 1} · ${token}: ${score}`;
      cells.append(cell);
    });
    row.append(cells);
    return row;
  }

  correlation(pairs) {
    const table = element("table", "attribution-rho");
    table.dataset.testid = "attribution-rho";
    table.append(element("caption", "", attributionText("rho")));
    for (const [pair, rho] of Object.entries(pairs)) {
      const [a, b] = METHODS.filter((method) => pair.includes(method));
      const tr = element("tr");
      tr.append(element("th", "", a && b ? `${attributionText(a)} · ${attributionText(b)}` : pair));
      const td = element("td", "count", rho === null ? "–" : rho.toFixed(3));
      Object.assign(td.dataset, { pair, rho: String(rho) });
      tr.append(td);
      table.append(tr);
    }
    return table;
  }

  /** Re-say the words after a language change. */
  relabel() {
    if (this.payload) this.update(this.payload);
  }
}

/**
 * The explorer's optional row: a small toggle after the token legend; when on, the attribution of
 * the traced input (integrated gradients) is drawn under the token strip. follow(model, input)
 * is called with every new trace.
 */
export function explorerAttribution(anchor) {
  const box = element("div", "attribution-toggle");
  const label = element("label");
  const toggle = element("input");
  toggle.type = "checkbox";
  toggle.dataset.testid = "attribution-toggle";
  const words = element("span", "", attributionText("toggle"));
  label.append(toggle, " ", words);
  box.append(label);
  const container = element("div", "attribution-box");
  container.dataset.testid = "attribution-row";
  container.hidden = true;
  anchor.after(box, container);
  const row = new AttributionRow(container);
  const current = { model: null, input: null, drawn: null, request: 0 };

  async function draw() {
    container.hidden = !toggle.checked;
    if (!toggle.checked || current.model === null) return;
    const key = JSON.stringify([current.model, current.input]);
    if (current.drawn === key) return;
    const request = ++current.request;
    row.loading();
    try {
      const payload = await fetchAttribution(current.model, current.input);
      if (request !== current.request) return;
      row.update(payload);
      current.drawn = key;
    } catch (error) {
      if (request === current.request) row.failed(error.message);
    }
  }

  toggle.addEventListener("change", draw);
  return {
    follow(model, input) {
      Object.assign(current, { model, input });
      draw();
    },
    relabel() {
      words.textContent = attributionText("toggle");
      row.relabel();
    },
  };
}
