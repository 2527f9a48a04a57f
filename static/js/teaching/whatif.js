// /whatif (issue 13): change the computation and see what follows. The teaching knobs (GET
// /api/v1/knobs, in the notes' words) and a list of interventions go to POST .../intervene; the
// page draws one gate or state of one layer clean, patched and their difference, the prediction
// before and after, the attribution row (POST .../attribution) and the patching sweep
// (POST .../patching). The URL holds it all, so a shared link reproduces it:
//   &knob=<id,id>&iv=<interventions, whatif-url.js>&show=<site>&corrupted=<text>&psite=<site>&attr=all
// The page runs on the teaching pages' shell (common.js: model, input, errors, token, language).

import { ApiError, api } from "../api.js";
import { lang, onLangChange } from "../i18n.js";
import { ParseError, parseNumbers } from "../input.js";
import { errorHeadline, problemText } from "../shell.js";
import { AttributionRow, fetchAttribution } from "../attribution-row.js";
import { CONFIG, DIVERGING, SEQUENTIAL } from "../plots.js";
import { GATES, hasBlocks, layerKind, layerLabel, layerNonlinearity, oneTo, seriesRange } from "../trace-data.js";
import { OPS, decodeInterventions, encodeInterventions, needsValue, toApi, valid } from "../whatif-url.js";
import { baseLayout, element, heatmap, predictionNumber, predictionText, stepAxis } from "./charts.js";
import { postSeries, readQuery, startTeachingPage } from "./common.js";
import { applyWhatifText, t } from "./whatif-text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

const els = {
  form: byTestId("teaching-form"),
  model: byTestId("teaching-model"),
  knobs: byTestId("whatif-knobs"),
  meaning: byTestId("knob-meaning"),
  list: byTestId("whatif-list"),
  empty: byTestId("whatif-empty"),
  site: byTestId("iv-site"),
  units: byTestId("iv-units"),
  steps: byTestId("iv-steps"),
  op: byTestId("iv-op"),
  value: byTestId("iv-value"),
  source: byTestId("iv-source"),
  add: byTestId("iv-add"),
  reset: byTestId("whatif-reset"),
  addError: byTestId("iv-error"),
  prediction: byTestId("whatif-prediction"),
  show: byTestId("whatif-show"),
  clean: byTestId("whatif-clean"),
  patched: byTestId("whatif-patched"),
  diff: byTestId("whatif-diff"),
  attrMethod: byTestId("attribution-method"),
  attrRow: byTestId("attribution-row"),
  patching: byTestId("patching-section"),
  corrupted: byTestId("patching-corrupted"),
  psite: byTestId("patching-site"),
  patchRun: byTestId("patching-run"),
  patchMessage: byTestId("patching-message"),
  patchPlot: byTestId("patching-plot"),
  prefixToggle: byTestId("prefix-toggle"),
  prefix: byTestId("prefix-section"),
  prefixMessage: byTestId("prefix-message"),
  prefixForming: byTestId("prefix-forming"),
  prefixPlot: byTestId("prefix-plot"),
};

const state = {
  knobs: [],
  interventions: [],
  show: null,
  corrupted: null,
  psite: null,
  attr: "integrated_gradients",
  knobList: [],
  sites: [],
  payload: null,
  page: null,
  prefix: false,
  drawn: { attribution: null, patching: null, prefix: null },
  requests: { attribution: 0, patching: 0, prefix: 0 },
};
const attribution = new AttributionRow(els.attrRow);

/** The page's own state from the URL (model and input are common.js's). */
function readWhatifQuery() {
  const { query } = readQuery();
  state.knobs = (query.get("knob") || "").split(",").filter(Boolean);
  state.interventions = decodeInterventions(query.get("iv"));
  state.show = query.get("show");
  state.corrupted = query.has("corrupted") ? query.get("corrupted") : null;
  state.psite = query.get("psite");
  state.attr = query.get("attr") === "all" ? "all" : "integrated_gradients";
  state.prefix = query.get("prefix") === "1";
  els.prefixToggle.checked = state.prefix;
  els.corrupted.value = state.corrupted ?? "";
  els.attrMethod.value = state.attr;
}

// -- sites ------------------------------------------------------------------------------------

function seriesName(name, kind) {
  if (name === "hidden") return t("state.hidden");
  if (name === "cell") return t("state.cell");
  return t(name === "candidate" ? `gate.candidate.${kind}` : `gate.${name}`);
}

/** Every site of a trace: each layer-direction's gates, c (LSTM) and h, named as the API names them. */
function sitesOf(trace) {
  const blocks = hasBlocks(trace);
  return trace.layers.flatMap((layer) => {
    const kind = layerKind(trace, layer);
    const names = [...GATES[kind].map((gate) => gate.name).filter((name) => layer.gates?.[name]), ...(layer.cell ? ["cell"] : []), "hidden"];
    return names.map((name) => ({
      site: `layer${layer.layer}.${layer.direction}.${name}`,
      label: `${layerLabel({ ...layer, kind }, blocks)} · ${seriesName(name, kind)}`,
      layer: layer.layer,
      direction: layer.direction,
      name,
      kind,
    }));
  });
}

function fillSelect(select, sites, chosen) {
  select.replaceChildren(
    ...sites.map((item) => {
      const option = element("option", "", item.label);
      option.value = item.site;
      return option;
    }),
  );
  if (sites.some((item) => item.site === chosen)) select.value = chosen;
}

/** What the heatmaps show: the URL's site, else the last change's, else the first layer's h. */
function shownSite() {
  const known = (site) => state.sites.some((item) => item.site === site);
  if (known(state.show)) return state.show;
  const last = state.interventions.at(-1);
  if (last && known(last.site)) return last.site;
  const knob = state.knobList.find((item) => item.id === state.knobs.at(-1));
  const gate = knob && state.sites.find((item) => item.kind === knob.cell && item.name === knob.gate);
  if (gate) return gate.site;
  return state.sites.find((item) => item.name === "hidden")?.site ?? state.sites[0]?.site;
}

// -- knobs ------------------------------------------------------------------------------------

function knobWords(knob, meaning = false) {
  const ko = lang() === "ko";
  if (meaning) return ko ? knob.meaning_ko : knob.meaning_en;
  return ko ? knob.ko : knob.en;
}

function renderKnobs() {
  const cells = new Set(state.sites.map((item) => item.kind));
  const buttons = state.knobList.map((knob) => {
    const button = element("button", "knob", knobWords(knob));
    button.type = "button";
    button.dataset.testid = `knob-${knob.id}`;
    button.dataset.knob = knob.id;
    button.title = knobWords(knob, true);
    button.setAttribute("aria-pressed", String(state.knobs.includes(knob.id)));
    const fits = !state.payload || cells.has(knob.cell);
    button.disabled = !fits;
    if (!fits) button.title = t("knobs.none", { cell: knob.cell.toUpperCase() });
    button.addEventListener("click", () => toggleKnob(knob));
    return button;
  });
  els.knobs.replaceChildren(...buttons);
  const active = state.knobList.filter((knob) => state.knobs.includes(knob.id));
  els.meaning.replaceChildren(...active.map((knob) => element("span", "knob-meaning", `${knobWords(knob)}: ${knobWords(knob, true)}`)));
}

function toggleKnob(knob) {
  const on = state.knobs.includes(knob.id);
  // Two knobs on one gate would fight (the later wins): a knob replaces its gate's other one.
  const sameGate = new Set(state.knobList.filter((item) => item.cell === knob.cell && item.gate === knob.gate).map((item) => item.id));
  state.knobs = state.knobs.filter((id) => !sameGate.has(id));
  if (!on) {
    state.knobs.push(knob.id);
    state.show = state.sites.find((item) => item.kind === knob.cell && item.name === knob.gate)?.site ?? state.show;
  }
  rerun();
}

// -- interventions ----------------------------------------------------------------------------

function describe(item) {
  const op = needsValue(item.op) ? `${t(`op.${item.op}`)} ${item.value}` : t(`op.${item.op}`);
  const site = state.sites.find((known) => known.site === item.site)?.label ?? item.site;
  return t("list.item", { site, units: item.units, steps: item.steps, op: item.op === "patch" ? `${op}: “${item.source}”` : op });
}

function renderList() {
  els.list.replaceChildren(
    ...state.interventions.map((item, index) => {
      const li = element("li", "whatif-item", describe(item));
      li.dataset.site = item.site;
      li.dataset.op = item.op;
      const remove = element("button", "whatif-remove", t("list.remove"));
      remove.type = "button";
      remove.dataset.testid = `iv-remove-${index}`;
      remove.addEventListener("click", () => {
        state.interventions.splice(index, 1);
        rerun();
      });
      li.append(" ", remove);
      return li;
    }),
  );
  els.empty.hidden = state.interventions.length > 0 || state.knobs.length > 0;
}

function fillOps() {
  const chosen = els.op.value || "set";
  els.op.replaceChildren(
    ...OPS.map((op) => {
      const option = element("option", "", t(`op.${op}`));
      option.value = op;
      return option;
    }),
  );
  els.op.value = chosen;
  showOpFields();
}

function showOpFields() {
  els.value.closest("label").hidden = !needsValue(els.op.value);
  els.source.closest("label").hidden = els.op.value !== "patch";
}

function addIntervention() {
  const item = {
    site: els.site.value,
    op: els.op.value,
    value: needsValue(els.op.value) ? Number(els.value.value) : null,
    units: els.units.value.trim() || "all",
    steps: els.steps.value.trim() || "all",
  };
  if (item.op === "patch") item.source = els.source.value;
  if (!valid(item)) {
    els.addError.textContent = t("add.invalid");
    els.addError.hidden = false;
    return;
  }
  els.addError.hidden = true;
  state.interventions.push(item);
  state.show = item.site;
  rerun();
}

/** Run again with a new history entry (the shared link is the new state). */
function rerun() {
  els.form.requestSubmit();
}

/** A box's text as the API wants it for the current model: a sentence, or rows of numbers. */
function apiInput(text, page) {
  if (page.model?.input_kind !== "numbers") return text;
  try {
    return parseNumbers(text).rows;
  } catch (error) {
    if (error instanceof ParseError) return text; // the API names what is wrong with it
    throw error;
  }
}

function requestBody(input, page) {
  return {
    input,
    knobs: [...state.knobs],
    interventions: state.interventions.map((item) => toApi(item, (text) => apiInput(text, page))),
  };
}

function urlExtras() {
  return {
    knob: state.knobs.length ? state.knobs.join(",") : null,
    iv: encodeInterventions(state.interventions),
    show: state.show,
    corrupted: state.corrupted || null,
    psite: state.psite,
    attr: state.attr === "all" ? "all" : null,
    prefix: state.prefix ? 1 : null,
  };
}

// -- the prediction -----------------------------------------------------------------------------

function classRows(before, after) {
  const rows = [];
  const list = (prediction) => prediction.classes ?? prediction.top ?? [];
  const afterOf = new Map(list(after).map((item) => [item.label, item.probability]));
  for (const item of list(before)) {
    const tr = element("tr", "whatif-class");
    const known = t(`label.${item.label}`);
    tr.append(element("th", "", known.startsWith("label.") ? item.label : known));
    const next = afterOf.get(item.label);
    const td = element("td", "", `${(item.probability * 100).toFixed(1)}% → ${next === undefined ? "–" : `${(next * 100).toFixed(1)}%`}`);
    Object.assign(td.dataset, { label: item.label, before: String(item.probability), after: String(next ?? "") });
    tr.append(td);
    rows.push(tr);
  }
  return rows;
}

function renderPrediction(payload) {
  const change = payload.prediction_change;
  const body = els.prediction.tBodies[0];
  const row = (key, testid, prediction) => {
    const tr = element("tr");
    tr.append(element("th", "", t(key)));
    const td = element("td", "", predictionText(prediction));
    td.dataset.testid = testid;
    td.dataset.label = String(prediction?.label ?? prediction?.top?.[0]?.label ?? "");
    tr.append(td);
    return tr;
  };
  const score = element("tr", "whatif-score");
  score.append(element("th", "", t("prediction.score", { scored: change.scored })));
  const sign = change.delta >= 0 ? "+" : "−";
  const td = element("td", "", `${change.before.toFixed(4)} → ${change.after.toFixed(4)} (${sign}${Math.abs(change.delta).toFixed(4)}) · ${t(change.label_changed ? "prediction.changed" : "prediction.same")}`);
  td.dataset.testid = "prediction-change";
  Object.assign(td.dataset, {
    scored: change.scored,
    before: String(change.before),
    after: String(change.after),
    delta: String(change.delta),
    labelChanged: String(change.label_changed),
  });
  score.append(td);
  body.replaceChildren(
    row("prediction.before", "prediction-before", payload.clean.prediction),
    row("prediction.after", "prediction-after", payload.patched.prediction),
    score,
    ...classRows(payload.clean.prediction, payload.patched.prediction),
  );
}

// -- heatmaps -----------------------------------------------------------------------------------

function matrixOf(trace, site) {
  const layer = trace.layers.find((item) => item.layer === site.layer && item.direction === site.direction);
  if (!layer) return null;
  if (site.name === "hidden") return layer.hidden;
  if (site.name === "cell") return layer.cell;
  return layer.gates?.[site.name] ?? null;
}

function stepLabels(trace) {
  if (!trace.tokens) return oneTo(trace.steps).map(String);
  return trace.tokens.map((token, step) => (trace.token_kinds?.[step] === "pad" ? "·" : token));
}

function difference(patched, clean) {
  return patched.map((row, step) => row.map((value, unit) => {
    const before = clean[step]?.[unit];
    return value === null || before === null || before === undefined ? null : value - before;
  }));
}

function drawHeatmaps(payload) {
  const site = state.sites.find((item) => item.site === els.show.value);
  if (!site) return Promise.resolve();
  const clean = matrixOf(payload.clean, site);
  const patched = matrixOf(payload.patched, site);
  const layer = payload.clean.layers.find((item) => item.layer === site.layer && item.direction === site.direction);
  const range = seriesRange(site.name, site.kind, [...clean, ...patched], layerNonlinearity(payload.clean, layer));
  const diff = difference(patched, clean);
  let largest = 0;
  for (const row of diff) for (const value of row) if (value !== null) largest = Math.max(largest, Math.abs(value));
  const bound = largest > 0 ? largest : 1;
  const labels = stepLabels(payload.clean);
  const height = Math.round(Math.min(260, Math.max(150, clean[0].length * 5))) + 50;
  for (const plot of [els.clean, els.patched, els.diff]) plot.dataset.site = site.site;
  return Promise.all([
    heatmap(els.clean, clean, range, { labels, height }),
    heatmap(els.patched, patched, range, { labels, height }),
    heatmap(els.diff, diff, { zmin: -bound, zmax: bound, kind: "diverging" }, { labels, height }),
  ]);
}

// -- attribution and patching: their own requests, after the page renders -------------------

function failure(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  const problems = error.status === 0 ? [] : error.problems.map(problemText);
  return [errorHeadline(error, { model: state.page?.model?.id }), ...problems].join(" ");
}

async function refreshAttribution(page) {
  const input = apiInput(page.text, page);
  const key = JSON.stringify([page.model.id, input, state.attr]);
  if (state.drawn.attribution === key) {
    attribution.relabel();
    return;
  }
  const request = ++state.requests.attribution;
  attribution.loading();
  try {
    const payload = await fetchAttribution(page.model.id, input, state.attr);
    if (request !== state.requests.attribution) return;
    attribution.update(payload);
    state.drawn.attribution = key;
  } catch (error) {
    if (request === state.requests.attribution) attribution.failed(failure(error));
  }
}

async function refreshPatching(page, { force = false } = {}) {
  // A site: every (step, unit) of it; "hidden": h of every (layer-direction, step).
  const known = state.psite === "hidden" || state.sites.some((item) => item.site === state.psite);
  const site = known ? state.psite : state.sites.find((item) => item.name === "hidden")?.site;
  if (!site) return;
  els.psite.value = site;
  if (!state.corrupted) {
    els.patching.dataset.state = "idle";
    if (force) els.patchMessage.textContent = t("patching.empty");
    return;
  }
  const body = { input: apiInput(page.text, page), corrupted_input: apiInput(state.corrupted, page), kind: site === "hidden" ? "layer_step" : "step_unit", site };
  const key = JSON.stringify([page.model.id, body]);
  if (state.drawn.patching === key && !force) return;
  const request = ++state.requests.patching;
  els.patching.dataset.state = "loading";
  els.patchRun.disabled = true;
  els.patchMessage.textContent = t("patching.running", { runs: "…" });
  try {
    const sweep = await postSeries(page.model.id, "patching", body);
    if (request !== state.requests.patching) return;
    await drawPatching(sweep, page);
    state.drawn.patching = key;
    els.patching.dataset.state = "ready";
  } catch (error) {
    if (request !== state.requests.patching) return;
    els.patchMessage.textContent = failure(error);
    els.patching.dataset.state = "error";
  } finally {
    if (request === state.requests.patching) els.patchRun.disabled = false;
  }
}

function drawPatching(sweep) {
  state.sweep = sweep;
  els.patchMessage.textContent = t("patching.done", {
    runs: sweep.runs,
    scored: sweep.scored,
    clean: sweep.clean_score.toFixed(4),
    corrupted: sweep.corrupted_score.toFixed(4),
  });
  const layers = sweep.kind === "layer_step"; // rows are layer-directions, else units
  const labels = sweep.tokens ? sweep.tokens.map((token) => (token === "<pad>" ? "·" : token)) : oneTo(sweep.steps).map(String);
  const trace = {
    type: "heatmap",
    z: sweep.effect, // rows (units) x steps, as the API gives it
    x: oneTo(sweep.steps),
    y: oneTo(sweep.rows.length),
    ...(layers ? { text: sweep.rows.map((row) => Array(sweep.steps).fill(row)) } : {}),
    zmin: 0,
    zmax: 1,
    colorscale: SEQUENTIAL,
    colorbar: { thickness: 12, outlinewidth: 0, tickfont: { size: 12 } },
    hovertemplate: `%{x} · ${layers ? "%{text}" : "%{y}"}: %{z:.3f}<extra></extra>`,
    hoverongaps: false,
  };
  const layout = baseLayout({
    height: Math.round(Math.min(320, Math.max(150, sweep.rows.length * 6))) + 50,
    margin: { l: 48, r: 8, t: 6, b: 40 },
    xaxis: stepAxis(labels, { tickfont: { size: 12 } }),
    yaxis: {
      autorange: "reversed",
      fixedrange: true,
      automargin: true,
      title: { text: layers ? "" : t("patching.axis"), font: { size: 12 } },
      ...(layers ? { tickmode: "array", tickvals: oneTo(sweep.rows.length), ticktext: sweep.rows } : {}),
    },
  });
  els.patchPlot.dataset.site = sweep.site;
  els.patchPlot.dataset.kind = sweep.kind;
  return window.Plotly.react(els.patchPlot, [trace], layout, CONFIG);
}

// -- the prediction as it forms, explained (per-prefix attribution) ---------------------------

async function refreshPrefix(page) {
  els.prefix.hidden = !state.prefix;
  if (!state.prefix) return;
  const input = apiInput(page.text, page);
  const key = JSON.stringify([page.model.id, input]);
  if (state.drawn.prefix === key) {
    if (state.prefixPayload) await drawPrefix(state.prefixPayload, page);
    return;
  }
  const request = ++state.requests.prefix;
  els.prefix.dataset.state = "loading";
  els.prefixMessage.textContent = t("prefix.loading");
  try {
    const payload = await postSeries(page.model.id, "attribution", { input, per_prefix: true });
    if (request !== state.requests.prefix) return;
    state.prefixPayload = payload;
    await drawPrefix(payload, page);
    state.drawn.prefix = key;
    els.prefix.dataset.state = "ready";
  } catch (error) {
    if (request !== state.requests.prefix) return;
    els.prefixMessage.textContent = failure(error);
    els.prefix.dataset.state = "error";
  }
}

function drawPrefix(payload) {
  const found = payload.per_prefix;
  if (!found) {
    els.prefixMessage.textContent = t("prefix.none");
    window.Plotly.purge(els.prefixForming);
    window.Plotly.purge(els.prefixPlot);
    return Promise.resolve();
  }
  const gaps = found.completeness_gap.filter((gap) => gap !== null);
  els.prefixMessage.textContent = t("prefix.done", { scored: found.scored, gap: (Math.max(0, ...gaps) * 100).toFixed(2) });
  const labels = payload.tokens ? payload.tokens.map((token, step) => (payload.token_kinds?.[step] === "pad" ? "·" : token)) : oneTo(payload.steps).map(String);
  const shown = found.rows.map((row, step) => (row ? step : null)).filter((step) => step !== null);
  const forming = state.payload?.clean.step_predictions;
  const final = state.payload?.clean.prediction;
  const finalLabel = final?.label ?? final?.top?.[0]?.label ?? null;
  const formingTrace = {
    type: "scatter",
    mode: "lines+markers",
    x: shown.map((step) => step + 1),
    y: shown.map((step) => (forming ? predictionNumber(forming[step], finalLabel) : null)),
    line: { color: "#0072B2", width: 2.5 },
    hovertemplate: "%{x}: %{y:.4f}<extra></extra>",
  };
  let largest = 0;
  for (const step of shown) for (const value of found.rows[step]) largest = Math.max(largest, Math.abs(value));
  const bound = largest > 0 ? largest : 1;
  const heat = {
    type: "heatmap",
    z: shown.map((step) => found.rows[step]),
    x: oneTo(payload.steps),
    y: shown.map((step) => step + 1),
    zmin: -bound,
    zmax: bound,
    colorscale: DIVERGING,
    colorbar: { thickness: 12, outlinewidth: 0, tickfont: { size: 12 } },
    hovertemplate: "%{y} → %{x}: %{z:.4f}<extra></extra>",
  };
  const first = shown[0] ?? 0;
  const xaxis = stepAxis(labels, { tickfont: { size: 12 }, range: [first + 0.5, payload.steps + 0.5] });
  const rowLabels = shown.map((step) => t("prefix.after", { token: labels[step] }));
  return Promise.all([
    window.Plotly.react(els.prefixForming, [formingTrace], baseLayout({ height: 170, margin: { l: 110, r: 70, t: 6, b: 40 }, xaxis, yaxis: { fixedrange: true } }), CONFIG),
    window.Plotly.react(
      els.prefixPlot,
      [heat],
      baseLayout({
        height: Math.max(150, shown.length * 22 + 60),
        margin: { l: 110, r: 8, t: 6, b: 40 },
        xaxis,
        yaxis: { autorange: "reversed", fixedrange: true, tickmode: "array", tickvals: shown.map((step) => step + 1), ticktext: rowLabels },
      }),
      CONFIG,
    ),
  ]);
}

// -- the page -----------------------------------------------------------------------------------

async function render(payload, page) {
  state.payload = payload;
  state.page = page;
  state.sites = sitesOf(payload.clean);
  const show = shownSite();
  fillSelect(els.site, state.sites, els.site.value || show);
  fillSelect(els.show, state.sites, show);
  fillSelect(els.psite, [{ site: "hidden", label: t("patching.layers") }, ...state.sites], state.psite);
  fillOps();
  renderKnobs();
  renderList();
  renderPrediction(payload);
  await drawHeatmaps(payload);
  refreshAttribution(page);
  refreshPatching(page);
  refreshPrefix(page);
}

function bind() {
  els.op.addEventListener("change", showOpFields);
  els.add.addEventListener("click", addIntervention);
  els.reset.addEventListener("click", () => {
    state.knobs = [];
    state.interventions = [];
    rerun();
  });
  els.show.addEventListener("change", () => {
    state.show = els.show.value;
    state.page?.writeUrl(false);
    if (state.payload) drawHeatmaps(state.payload);
  });
  els.attrMethod.addEventListener("change", () => {
    state.attr = els.attrMethod.value;
    if (!state.page?.payload) return;
    state.page.writeUrl(false);
    refreshAttribution(state.page);
  });
  els.prefixToggle.addEventListener("change", () => {
    state.prefix = els.prefixToggle.checked;
    if (!state.page?.payload) return;
    state.page.writeUrl(false);
    refreshPrefix(state.page);
  });
  els.patchRun.addEventListener("click", () => {
    if (!state.page?.payload) return;
    state.corrupted = els.corrupted.value.trim() ? els.corrupted.value : null;
    state.psite = els.psite.value;
    state.page.writeUrl(true);
    refreshPatching(state.page, { force: true });
  });
  // Knobs and interventions belong to a model: another model starts from none.
  els.model.addEventListener("change", () => {
    Object.assign(state, { knobs: [], interventions: [], show: null, psite: null, corrupted: null });
    els.corrupted.value = "";
    Plotly.purge(els.patchPlot);
  });
  window.addEventListener("popstate", readWhatifQuery); // before common.js's restore runs
  onLangChange(() => {
    applyWhatifText(document);
    if (!state.payload) {
      fillOps();
      renderKnobs();
    }
  });
}

async function loadKnobs() {
  try {
    state.knobList = (await api.get("/knobs")).knobs;
  } catch {
    state.knobList = []; // the knobs are a shortcut: the interventions still work without them
  }
  renderKnobs();
}

const Plotly = window.Plotly;
readWhatifQuery();
bind();
applyWhatifText(document);
fillOps();
// The knobs first, so a shared link with a knob opens on that knob's gate.
loadKnobs().then(() => startTeachingPage({ series: "intervene", body: requestBody, render, extras: urlExtras }));
