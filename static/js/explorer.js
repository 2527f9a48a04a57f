// The explorer page: wires the controls, the player and the views together.
// Views never reach into each other; this module owns the state (model, trace, layer, step,
// unit — step and unit counted from 1 as shown) and hands each view what it needs. Reading the
// input, the request in flight, the token and errors are the page shell's (shell.js).
// What is on screen is also on <body>: data-model, data-step, data-unit, data-layer,
// data-direction, data-playing (besides the shell's data-state and data-renders).

import { api } from "./api.js";
import { applyStatic, lang, onLangChange, setLang, t } from "./i18n.js";
import { cancelPending, flush as flushUrl, pushState, readState, replaceState } from "./url-state.js";
import { Player, SPEEDS } from "./player.js";
import { Heatmap } from "./plots.js";
import { StepBars } from "./bars.js";
import { UnitLines } from "./unit-lines.js";
import { TokenStrip } from "./tokens.js";
import { PredictionView } from "./prediction.js";
import { EquationPanel } from "./equations.js";
import { exampleLabel, formatNumbers } from "./input.js";
import { fillModelSelect, inputHint, labelNames, localized } from "./models.js";
import { findLayer, firstRealStep, layerChoices, layerSeries, unitsOf } from "./trace-data.js";
import { PageShell } from "./shell.js";
import { explorerAttribution } from "./attribution-row.js";
import { whatifHref } from "./whatif-url.js";
import { saveView } from "./export.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const byId = (id) => document.getElementById(id);

const els = {
  model: byTestId("model-select"),
  examples: byTestId("example-select"),
  input: byTestId("sequence-input"),
  inputLabel: byId("input-label"),
  inputHint: byId("input-hint"),
  run: byTestId("run-trace"),
  empty: byId("empty-state"),
  results: byId("results"),
  play: byTestId("play-toggle"),
  back: byTestId("step-back"),
  forward: byTestId("step-forward"),
  slider: byTestId("step-slider"),
  stepLabel: byTestId("step-label"),
  speed: byTestId("speed-select"),
  layer: byTestId("layer-select"),
  lang: byTestId("lang-toggle"),
  heatmaps: byId("heatmaps"),
  unitTitle: byId("unit-title"),
  barsTitle: byId("bars-title"),
  writeControls: byTestId("write-controls"),
  writeLength: byTestId("write-length"),
  write: byTestId("write-text"),
  pads: byTestId("pads-toggle"),
  save: byTestId("save-view"),
};

const views = {
  tokens: new TokenStrip(byTestId("token-strip"), byId("tokens-title"), byId("tokens-legend")),
  bars: new StepBars(byTestId("step-bars")),
  unitLines: new UnitLines(byTestId("unit-plot")),
  prediction: new PredictionView(byTestId("prediction"), byTestId("prediction-by-step")),
  equations: new EquationPanel(byTestId("equation-panel"), byId("equation-title")),
  heatmaps: new Map(), // series key -> Heatmap
};
// issue 13: an optional attribution row under the token strip, behind a small toggle
const attribution = explorerAttribution(byId("tokens-legend"));
const shell = new PageShell({
  input: els.input,
  run: els.run,
  kind: () => state.model?.input_kind,
  submit: () => runTrace(),
  model: () => state.model?.id,
});
const errors = shell.errors;

const state = {
  models: [],
  model: null, // summary of the selected model
  detail: null,
  trace: null,
  layerIndex: 0,
  series: [],
  step: 1,
  unit: 1,
  input: null, // the box text the current trace was run on
  locations: null,
  writing: null, // {promptSteps} while the box shows text a language model wrote, step by step
  collapsePads: false, // every run of pad steps drawn as one column in the heatmaps
};

const player = new Player((index, playing) => {
  setPlayButton(playing);
  if (index + 1 !== state.step) applyStep(index + 1);
});

// -- state <-> URL ----------------------------------------------------------------------------

function urlState() {
  const layer = state.trace?.layers[state.layerIndex];
  return {
    model: state.model?.id ?? null,
    input: state.trace ? state.input : null,
    step: state.trace ? state.step : null,
    unit: state.trace ? state.unit : null,
    layer: layer ? layer.layer + 1 : 1,
    dir: layer ? layer.direction : "forward",
    pads: state.collapsePads ? "collapsed" : null,
  };
}

/** Stepping, units and layers replace the URL (a trace of another model's name keeps it). */
function syncUrl() {
  publish();
  if (state.trace && state.model && state.trace.model === state.model.id) replaceState(urlState());
}

/** What is on screen, on <body data-*> (for tests and anyone inspecting the page). */
function publish() {
  const layer = state.trace?.layers[state.layerIndex];
  const shown = {
    model: state.model?.id ?? "",
    inputKind: state.model?.input_kind ?? "", // teaching/links.js offers /state for numbers only
    step: state.trace ? String(state.step) : "",
    unit: state.trace ? String(state.unit) : "",
    layer: layer ? String(layer.layer + 1) : "",
    direction: layer?.direction ?? "",
    playing: String(player.playing),
  };
  Object.assign(document.body.dataset, shown);
}

// -- models and inputs ------------------------------------------------------------------------

async function loadModels() {
  const list = await api.models();
  state.models = list.data;
  fillModelSelect(els.model, state.models, state.model?.id);
  els.model.disabled = state.models.length === 0;
  if (!state.models.length) errors.show(t("model.none"));
}

/** Select a model; fillExample puts its first example in the box (a fresh choice by the user). */
async function selectModel(id, { fillExample }) {
  const model = state.models.find((item) => item.id === id);
  if (!model) {
    errors.show(t("error.404", { model: id }));
    return false;
  }
  state.model = model;
  els.model.value = id;
  publish();
  showResults(false);
  renderInputHints();
  state.detail = null;
  const detail = await api.model(id);
  if (state.model.id !== id) return false; // another model was picked meanwhile
  state.detail = detail;
  fillExamples(detail.examples || []);
  if (fillExample && detail.examples?.length) setInputFromExample(detail.examples[0]);
  return true;
}

/** upload.js added a model: take its summary into the list and select it (so no reload). */
function onModelAdded(event) {
  event.preventDefault();
  const summary = event.detail;
  const index = state.models.findIndex((item) => item.id === summary.id);
  if (index === -1) state.models.push(summary);
  else state.models[index] = summary;
  fillModelSelect(els.model, state.models, summary.id);
  els.model.disabled = false;
  errors.clear();
  selectModel(summary.id, { fillExample: true })
    .then((selected) => selected && pushState(urlState()))
    .catch(onFailure);
}

function renderInputHints() {
  const model = state.model;
  if (!model) return;
  const numbers = model.input_kind === "numbers";
  els.inputLabel.textContent = t(numbers ? "input.numbers" : "input.text");
  els.inputHint.textContent = inputHint(model);
  els.input.dataset.kind = model.input_kind;
  els.input.rows = numbers ? Math.min(5, Math.max(3, model.seq_length || 4)) : 2;
  els.input.placeholder = numbers
    ? (model.features || []).map(() => "0.0").join(", ")
    : t("input.placeholder.text");
  els.input.lang = model.language || "";
  els.writeControls.hidden = model.task !== "next-token";
}

function fillExamples(examples) {
  const placeholder = document.createElement("option");
  placeholder.value = "";
  placeholder.textContent = t("examples.pick");
  els.examples.replaceChildren(placeholder);
  examples.forEach((example, index) => {
    const option = document.createElement("option");
    option.value = String(index);
    option.textContent = exampleLabel(example, index);
    els.examples.append(option);
  });
  els.examples.disabled = examples.length === 0;
  els.examples.dataset.model = state.model?.id ?? "";
}

function setInputFromExample(example) {
  els.input.value = typeof example === "string" ? example : formatNumbers(example);
  errors.clear();
}

// -- running a trace --------------------------------------------------------------------------

async function runTrace({ push = true, view = null } = {}) {
  errors.clear();
  if (!state.model) {
    errors.show(t("error.noModel"));
    return;
  }
  const read = shell.readInput();
  if (!read) return;
  const model = state.model;
  const retry = () => runTrace({ push, view });
  const payload = await shell.request(() => api.trace(model.id, read.input), { read, retry });
  if (payload === null || state.model !== model) return;
  state.writing = null;
  state.input = read.text;
  state.locations = read.locations;
  attribution.follow(model.id, read.input);
  // A fresh run starts at the first real token, not on a pad.
  await render(payload, view || { step: null, unit: 1, layer: 1, dir: "forward" });
  if (push) pushState(urlState());
  else syncUrl();
}

// -- a language model writes -----------------------------------------------------------------

const WRITE_TEMPERATURE = 0.8;

/** The model writes after the box's text; the text streams into the box as the gates play. */
async function writeText() {
  errors.clear();
  const model = state.model;
  if (!model || model.task !== "next-token") return;
  const read = shell.readInput();
  if (!read) return;
  const length = clamp(Math.round(Number(els.writeLength.value)) || 200, 1, 2000);
  const seed = Math.floor(Math.random() * 2 ** 31);
  const body = { prompt: read.input, length, temperature: WRITE_TEMPERATURE, top_k: 10, seed };
  const retry = () => writeText();
  const payload = await shell.request(() => api.generate(model.id, body), { read, retry });
  if (payload === null || state.model !== model) return;
  const promptSteps = payload.trace.steps - payload.steps.length;
  state.input = read.text + payload.text;
  state.locations = null;
  state.writing = { promptSteps };
  document.body.dataset.written = payload.text;
  await render(payload.trace, { step: promptSteps, unit: 1, layer: 1, dir: "forward" });
  pushState(urlState());
  player.play();
}

/** While writing, the box shows the text up to the current step. */
function streamInto(step) {
  if (!state.writing || !state.trace?.tokens) return;
  els.input.value = state.trace.tokens.slice(0, step).join("");
}

// -- rendering --------------------------------------------------------------------------------

function showResults(visible) {
  els.results.hidden = !visible;
  els.empty.hidden = visible;
  if (!visible) {
    player.stop();
    setPlayButton(false);
    state.trace = null;
  }
}

/** Render any trace payload (from the API, or given by a test) at view {step, unit, layer, dir}. */
async function render(payload, view = {}) {
  state.trace = payload;
  showResults(true);
  fillLayerSelect(payload);
  state.layerIndex = findLayer(payload, view.layer ?? 1, view.dir ?? "forward");
  els.layer.value = String(state.layerIndex);
  state.step = clamp(view.step ?? firstRealStep(payload), 1, payload.steps);
  const layer = payload.layers[state.layerIndex];
  state.unit = clamp(view.unit ?? 1, 1, layer.units ?? unitsOf(layer.hidden));
  els.slider.min = "1";
  els.slider.max = String(payload.steps);
  const features = state.model?.id === payload.model ? localized(state.model).features : null;
  views.tokens.update(payload, { step: state.step }, features);
  views.prediction.update(payload, { step: state.step, labels: labelNames(state.model) });
  await renderLayer();
  player.load(payload.steps, state.step - 1, firstRealStep(payload) - 1);
  els.pads.closest("label").hidden = !(payload.token_kinds ?? []).includes("pad");
  applyStep(state.step, { force: true });
  publish();
  shell.rendered();
}

/** (Re)draw every per-layer view: heatmaps, bars, unit lines, equations. */
async function renderLayer() {
  const payload = state.trace;
  const layer = payload.layers[state.layerIndex];
  state.series = layerSeries(payload, layer);
  ensureHeatmapFigures(state.series);
  const view = {
    step: state.step,
    unit: state.unit,
    tokens: payload.tokens ?? null,
    kinds: payload.token_kinds ?? null,
    collapsePads: state.collapsePads,
  };
  const drawn = state.series.map((series) => views.heatmaps.get(series.key).update(series, view));
  drawn.push(views.bars.update(state.series, view));
  drawn.push(views.unitLines.update(state.series, view));
  els.unitTitle.textContent = t("unit.title", { k: state.unit });
  els.barsTitle.textContent = t("bars.title", { t: state.step });
  views.equations.update(payload, layer, state.step, state.unit);
  await Promise.all(drawn);
}

/** One <figure> per series; rebuilt only when the set of series changes (another cell type). */
function ensureHeatmapFigures(series) {
  const keys = series.map((item) => item.key).join(",");
  if (els.heatmaps.dataset.keys !== keys) {
    views.heatmaps.forEach((heatmap) => window.Plotly.purge(heatmap.element));
    views.heatmaps.clear();
    els.heatmaps.replaceChildren();
    for (const item of series) {
      const figure = document.createElement("figure");
      figure.className = `heatmap series-${item.key}`;
      const caption = document.createElement("figcaption");
      const wrap = document.createElement("div");
      wrap.className = "plot-wrap heatmap-focus";
      // A named heatmap a keyboard can reach: ↑/↓ choose a unit here (←/→ step, as everywhere).
      wrap.setAttribute("role", "group"); // a named group (an img may not hold the mode bar's buttons)
      wrap.tabIndex = 0;
      wrap.dataset.testid = `focus-${item.testid}`;
      wrap.addEventListener("keydown", (event) => {
        const delta = { ArrowUp: -1, ArrowDown: 1 }[event.key];
        if (!delta || event.altKey || event.ctrlKey || event.metaKey) return;
        event.preventDefault();
        setUnit(state.unit + delta);
      });
      const plot = document.createElement("div");
      plot.className = "plot";
      plot.dataset.testid = item.testid;
      wrap.append(plot);
      figure.append(caption, wrap);
      els.heatmaps.append(figure);
      views.heatmaps.set(item.key, new Heatmap(plot, (where) => pick({ ...where, series: item.key })));
    }
    els.heatmaps.dataset.keys = keys;
  }
  for (const item of series) {
    const caption = views.heatmaps.get(item.key).element.closest("figure").querySelector("figcaption");
    caption.innerHTML = "";
    const symbol = document.createElement("span");
    symbol.className = "symbol";
    symbol.textContent = item.symbol;
    const title = document.createElement("h3"); // a gate's title is a heading (navigable by it)
    title.className = "title";
    title.textContent = item.title;
    const range = document.createElement("span");
    range.className = "range";
    range.textContent = item.range.label;
    caption.append(symbol, title, range);
  }
}

function fillLayerSelect(payload) {
  els.layer.replaceChildren(
    ...layerChoices(payload).map((choice) => {
      const option = document.createElement("option");
      option.value = String(choice.index);
      option.textContent = choice.label;
      option.dataset.layer = String(choice.layer);
      option.dataset.direction = choice.direction;
      option.dataset.block = String(choice.block);
      option.dataset.kind = choice.kind;
      return option;
    }),
  );
  els.layer.disabled = payload.layers.length < 2;
}

/** Move every view to `step` (from 1). Returns a promise for the Plotly updates. */
function applyStep(step, { force = false } = {}) {
  if (!state.trace) return Promise.resolve();
  if (step === state.step && !force) return Promise.resolve();
  state.step = step;
  const steps = state.trace.steps;
  els.slider.value = String(step);
  els.stepLabel.textContent = t("step.label", { t: step, T: steps });
  els.stepLabel.dataset.step = String(step);
  els.stepLabel.dataset.steps = String(steps);
  els.back.disabled = step <= 1;
  els.forward.disabled = step >= steps;
  els.barsTitle.textContent = t("bars.title", { t: step });
  views.tokens.setStep(step);
  streamInto(step);
  const layer = state.trace.layers[state.layerIndex];
  views.equations.update(state.trace, layer, step, state.unit);
  const updates = [];
  views.heatmaps.forEach((heatmap) => updates.push(heatmap.setStep(step)));
  updates.push(views.bars.setView({ step, unit: state.unit }));
  updates.push(views.unitLines.setStep(step));
  updates.push(views.prediction.setStep(step));
  syncUrl();
  return Promise.all(updates);
}

function setUnit(unit) {
  if (!state.trace) return Promise.resolve();
  const layer = state.trace.layers[state.layerIndex];
  unit = clamp(unit, 1, unitsOf(layer.hidden) || 1);
  if (unit === state.unit) return Promise.resolve();
  state.unit = unit;
  const updates = [];
  views.heatmaps.forEach((heatmap) => updates.push(heatmap.setUnit(unit)));
  updates.push(views.bars.setView({ step: state.step, unit }));
  updates.push(views.unitLines.update(state.series, { step: state.step, unit }));
  els.unitTitle.textContent = t("unit.title", { k: unit });
  views.equations.update(state.trace, layer, state.step, unit);
  syncUrl();
  return Promise.all(updates);
}

async function setLayer(index) {
  if (!state.trace) return;
  state.layerIndex = clamp(index, 0, state.trace.layers.length - 1);
  els.layer.value = String(state.layerIndex);
  const layer = state.trace.layers[state.layerIndex];
  state.unit = clamp(state.unit, 1, unitsOf(layer.hidden) || 1);
  await renderLayer();
  syncUrl();
}

/** Draw every run of pads as one column (or one per step again); steps stay real steps. */
async function setCollapsePads(collapse) {
  state.collapsePads = collapse;
  els.pads.checked = collapse;
  if (state.trace) await renderLayer();
  syncUrl();
}

/** "Save this view": one HTML file with the trace and this layer's heatmaps, for offline use. */
function saveThisView() {
  if (!state.trace) return Promise.resolve();
  flushUrl();
  const layer = els.layer.selectedOptions[0]?.textContent ?? "";
  const model = state.model?.id === state.trace.model ? localized(state.model).title : state.trace.model;
  return saveView({
    payload: state.trace,
    elements: [...els.heatmaps.querySelectorAll(".js-plotly-plot")],
    step: state.step,
    unit: state.unit,
    heading: t("save.heading", { model }),
    caption: t("save.caption", { layer, t: state.step, T: state.trace.steps, k: state.unit, url: window.location.href }),
  });
}

/** A click on a heatmap cell follows that unit and moves to that step; a shift-click opens
 *  /whatif with that cell (site, unit, step) clamped to 0, to be edited there. */
function pick({ step, unit, shift = false, series = null }) {
  if (shift && series) {
    const layer = state.trace.layers[state.layerIndex];
    const site = `layer${layer.layer}.${layer.direction}.${series}`;
    const clamp = { site, op: "set", value: 0, units: String(unit), steps: String(step) };
    window.location.assign(whatifHref(state.model?.id, state.input, [clamp], { show: site }));
    return;
  }
  player.seek(step - 1);
  setUnit(unit);
}

function clamp(value, low, high) {
  return Math.min(Math.max(low, Math.round(Number(value) || low)), Math.max(low, high));
}

function setPlayButton(playing) {
  els.play.setAttribute("aria-pressed", String(playing));
  els.play.dataset.playing = String(playing);
  els.play.querySelector(".icon").textContent = playing ? "❚❚" : "▶";
  els.play.querySelector(".label").textContent = t(playing ? "player.pause" : "player.play");
  document.body.dataset.playing = String(playing);
}

// -- controls and keys ------------------------------------------------------------------------

function bindControls() {
  els.run.addEventListener("click", () => runTrace());
  els.write.addEventListener("click", () => writeText().catch(onFailure));
  els.model.addEventListener("change", () => selectModel(els.model.value, { fillExample: true }).catch(onFailure));
  els.examples.addEventListener("change", () => {
    const index = Number.parseInt(els.examples.value, 10);
    if (Number.isInteger(index) && state.detail?.examples?.[index] !== undefined) {
      setInputFromExample(state.detail.examples[index]);
    }
    // The menu keeps showing the choice (it snapped back to "Pick an example…" before) until the
    // box is edited or another model is picked.
  });
  els.input.addEventListener("input", () => {
    els.examples.value = "";
  });
  els.play.addEventListener("click", () => player.toggle());
  els.back.addEventListener("click", () => player.stepBy(-1));
  els.forward.addEventListener("click", () => player.stepBy(1));
  els.slider.addEventListener("input", () => player.seek(Number(els.slider.value) - 1));
  els.speed.replaceChildren(
    ...SPEEDS.map((speed) => {
      const option = document.createElement("option");
      option.value = String(speed);
      option.textContent = `${speed}×`;
      option.selected = speed === 1;
      return option;
    }),
  );
  els.speed.addEventListener("change", () => player.setSpeed(Number(els.speed.value)));
  els.layer.addEventListener("change", () => setLayer(Number(els.layer.value)));
  els.pads.addEventListener("change", () => setCollapsePads(els.pads.checked));
  els.save.addEventListener("click", () => saveThisView().catch(onFailure));
  els.lang.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
  document.addEventListener("gatescope:model-added", onModelAdded);
  document.addEventListener("keydown", onKey);
  document.addEventListener("keyup", (event) => {
    // A focused button would "click" on space's keyup and toggle a second time.
    if (event.key === " " && event.target instanceof HTMLButtonElement && state.trace) event.preventDefault();
  });
  window.addEventListener("popstate", () => {
    cancelPending();
    restoreFromUrl().catch(onFailure);
  });
  window.addEventListener("pagehide", flushUrl);
}

function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && target.type !== "range" && target.type !== "button";
}

function onKey(event) {
  if (!state.trace || event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
  const onSlider = event.target === els.slider;
  const actions = {
    " ": () => player.toggle(),
    ArrowLeft: () => player.stepBy(-1),
    ArrowRight: () => player.stepBy(1),
    Home: () => player.seek(0),
    End: () => player.seek(state.trace.steps - 1),
  };
  const action = actions[event.key];
  if (!action || (onSlider && event.key !== " ")) return; // the slider moves itself with arrows
  event.preventDefault();
  action();
}

function onLanguage() {
  els.lang.textContent = t("lang.other");
  fillModelSelect(els.model, state.models, state.model?.id);
  renderInputHints();
  if (state.detail) fillExamples(state.detail.examples || []);
  shell.relabel();
  setPlayButton(player.playing);
  attribution.relabel();
  if (state.trace) {
    views.tokens.update(state.trace, { step: state.step }, localized(state.model).features);
    views.prediction.update(state.trace, { step: state.step, labels: labelNames(state.model) });
    fillLayerSelect(state.trace);
    els.layer.value = String(state.layerIndex);
    renderLayer();
    els.stepLabel.textContent = t("step.label", { t: state.step, T: state.trace.steps });
  }
  errors.clear();
}

// -- start ------------------------------------------------------------------------------------

/** Open what the URL names: its model, and its input traced at its step, unit and layer. */
async function restoreFromUrl({ first = false } = {}) {
  const wanted = readState();
  const view = { step: wanted.step, unit: wanted.unit ?? 1, layer: wanted.layer, dir: wanted.dir };
  const padsChanged = state.collapsePads !== (wanted.pads === "collapsed");
  state.collapsePads = wanted.pads === "collapsed";
  els.pads.checked = state.collapsePads;
  const modelId = wanted.model ?? (first ? state.models[0]?.id : state.model?.id);
  if (!modelId) return;
  const sameModel = state.model?.id === modelId && state.detail;
  if (!sameModel && !(await selectModel(modelId, { fillExample: wanted.input === null }))) return;
  if (wanted.input === null) {
    if (!first) showResults(false);
    return;
  }
  if (state.trace && wanted.input === state.input && sameModel) {
    const layerIndex = findLayer(state.trace, view.layer, view.dir);
    if (layerIndex !== state.layerIndex) await setLayer(layerIndex);
    else if (padsChanged) await renderLayer();
    await setUnit(view.unit);
    player.seek((view.step ?? firstRealStep(state.trace)) - 1);
    return;
  }
  els.input.value = wanted.input;
  await runTrace({ push: false, view });
}

function onFailure(error) {
  shell.fail(error, null, () => start());
}

async function start() {
  try {
    await loadModels();
    if (state.models.length) await restoreFromUrl({ first: true });
    if (!["ready", "error", "token"].includes(document.body.dataset.state)) shell.setState("idle");
  } catch (error) {
    onFailure(error);
  }
}

applyStatic(document);
els.lang.textContent = t("lang.other");
setPlayButton(false);
bindControls();
onLangChange(onLanguage);

start();
