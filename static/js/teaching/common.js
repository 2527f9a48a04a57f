// What every teaching page adds to the page shell (../shell.js: input, busy state, stale answers,
// token, errors, the Hangul Enter guard): the model and input form, ?model=&input= in the URL,
// the language, and one fetch of the page's series from the JSON API.
// A page module calls startTeachingPage({...}) with how to ask the API and how to render the answer.
// A page that draws one layer (compare, padding) also gets the layer chooser: every layer and
// direction of every block, named as the explorer names them, kept in the URL as
// &layer=<n, from 1, over all blocks>&direction=<forward|backward> (no layer: the top one).

import { ApiError, api } from "../api.js";
import { lang, onLangChange, setLang } from "../i18n.js";
import { formatNumbers } from "../input.js";
import { fillModelSelect, inputHint } from "../models.js";
import { PageShell } from "../shell.js";
import { layerLabel } from "../trace-data.js";
import { applyTeachingText, t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** POST /api/v1/models/{id}/{series}, with the bearer token when the server wants one. */
export function postSeries(modelId, series, body) {
  return api.post(`/models/${encodeURIComponent(modelId)}/${series}`, body);
}

/** The query a teaching page was opened with: model, input (the box text) and its extras. */
export function readQuery(search = window.location.search) {
  const query = new URLSearchParams(search);
  return { model: query.get("model"), input: query.has("input") ? query.get("input") : null, query };
}

/** The layer the URL asks for, as the API counts it (from 0), and its direction; nulls: the top. */
export function readLayer(query) {
  const n = Number.parseInt(query.get("layer") ?? "", 10);
  const layer = Number.isInteger(n) && n >= 1 ? n - 1 : null;
  const direction = query.get("direction") === "backward" ? "backward" : "forward";
  return { layer, direction: layer === null ? null : direction };
}

/** The chooser's options: one per layer-direction, labelled by block and kind for a chain. */
export function layerOptions(layers) {
  const blocks = new Set(layers.map((layer) => layer.block)).size > 1;
  return layers.map((layer) => ({
    value: `${layer.layer}|${layer.direction}`,
    label: layerLabel(layer, blocks),
    layer,
  }));
}

/** ?model=&input= plus extras (null values left out). */
export function queryString(model, input, extras = {}) {
  const query = new URLSearchParams();
  if (model) query.set("model", model);
  if (input !== null && input !== undefined) query.set("input", input);
  for (const [key, value] of Object.entries(extras)) {
    if (value !== null && value !== undefined) query.set(key, String(value));
  }
  return `?${query.toString()}`;
}

/**
 * Start a teaching page.
 *   series: the API path segment ("compare", "sensitivity", ...)
 *   applies(model): null when the page fits the model, else a reason key ("padding_needs_text")
 *   body(input, page): the request body for the parsed input (default {input})
 *   render(payload, page): draw; returns a promise
 *   extras(): page state kept in the URL besides model and input
 *   shownLayer(payload): for a page that draws one layer, {layers, layer, direction} of the
 *     answer (layer from 0); the page then gets the layer chooser, and the request its
 *     `layer` and `direction`
 * Returns the page: {models, model, text, payload, rerun(), writeUrl(push), rendered()}.
 */
export function startTeachingPage({
  series,
  applies = () => null,
  body = (input) => ({ input }),
  render,
  extras = () => ({}),
  shownLayer = null,
}) {
  const els = {
    form: byTestId("teaching-form"),
    model: byTestId("teaching-model"),
    input: byTestId("teaching-input"),
    inputLabel: document.getElementById("teaching-input-label"),
    hint: document.getElementById("teaching-input-hint"),
    run: byTestId("teaching-run"),
    message: byTestId("teaching-message"),
    result: document.querySelector(".teaching-result"),
    lang: byTestId("lang-toggle"),
    layer: byTestId("teaching-layer"),
  };
  const page = { models: [], model: null, text: null, payload: null, layer: null, direction: null };
  if (els.layer) els.layer.closest(".field").hidden = !shownLayer;
  const shell = new PageShell({
    input: els.input,
    run: els.run,
    kind: () => page.model?.input_kind,
    submit: () => run(),
    labels: { idle: "teaching.run", busy: "teaching.running" },
    text: t,
    model: () => page.model?.id,
  });
  const errors = shell.errors;
  const setState = (state) => shell.setState(state);

  function showMessage(reason) {
    els.message.hidden = false;
    els.message.dataset.reason = reason;
    els.message.textContent = t(`na.${reason}`);
    els.result.hidden = true;
    page.payload = null;
    setState("na");
  }

  function hideMessage() {
    els.message.hidden = true;
    delete els.message.dataset.reason;
  }

  function describeModel() {
    const model = page.model;
    const numbers = model.input_kind === "numbers";
    els.inputLabel.textContent = t(numbers ? "input.numbers" : "input.text");
    els.hint.textContent = inputHint(model);
    els.input.dataset.kind = model.input_kind;
    els.input.rows = numbers ? 6 : 2;
  }

  async function exampleText(model) {
    const detail = await api.model(model.id);
    const example = detail.examples?.[0];
    if (example === undefined) return "";
    return typeof example === "string" ? example : formatNumbers(example);
  }

  async function run({ push = true } = {}) {
    errors.clear();
    hideMessage();
    const model = page.model;
    const reason = applies(model);
    const read = shell.readInput();
    if (!read) return;
    page.text = read.text;
    writeUrl(push);
    if (reason) {
      showMessage(reason);
      return;
    }
    const payload = await shell.request(() => postSeries(model.id, series, requestBody(read.input)), {
      read,
      retry: () => run({ push: false }),
      handle: notApplicable,
    });
    if (payload === null) return;
    page.payload = payload;
    els.result.hidden = false;
    fillLayerChooser();
    await render(payload, page);
    shell.rendered();
  }

  function requestBody(input) {
    const asked = body(input, page);
    if (!shownLayer || page.layer === null) return asked;
    return { ...asked, layer: page.layer, direction: page.direction ?? "forward" };
  }

  function urlExtras() {
    const own = extras();
    if (!shownLayer || page.layer === null) return own;
    return { ...own, layer: page.layer + 1, direction: page.direction ?? "forward" };
  }

  /** Offer every layer-direction of the answer, with the one it shows selected. */
  function fillLayerChooser() {
    if (!shownLayer || !els.layer || !page.payload) return;
    const shown = shownLayer(page.payload);
    const options = layerOptions(shown.layers).map(({ value, label, layer }) => {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = label;
      Object.assign(option.dataset, {
        layer: String(layer.layer + 1),
        direction: layer.direction,
        block: String(layer.block + 1),
        kind: layer.kind,
      });
      return option;
    });
    els.layer.replaceChildren(...options);
    els.layer.value = `${shown.layer}|${shown.direction}`;
    els.layer.disabled = options.length < 2;
    els.layer.dataset.layer = String(shown.layer + 1);
    els.layer.dataset.direction = shown.direction;
  }

  /** A 422 whose type names a reason this page explains (na.<type>): said in place, not as an error. */
  function notApplicable(error) {
    if (!(error instanceof ApiError) || error.status !== 422 || !Array.isArray(error.detail)) return false;
    const reason = error.detail[0]?.type;
    if (!reason || t(`na.${reason}`) === `na.${reason}`) return false;
    showMessage(reason);
    return true;
  }

  function writeUrl(push) {
    const search = queryString(page.model?.id, page.text, urlExtras());
    if (search === window.location.search) return;
    if (push) window.history.pushState(null, "", search);
    else window.history.replaceState(null, "", search);
    document.dispatchEvent(new CustomEvent("gatescope:url"));
  }

  async function selectModel(id, { fillExample }) {
    page.model = page.models.find((item) => item.id === id) || page.models[0];
    els.model.value = page.model.id;
    describeModel();
    if (fillExample) els.input.value = await exampleText(page.model);
  }

  /** Open what the URL names; the first model and its example when it names nothing. */
  async function restore() {
    const wanted = readQuery();
    Object.assign(page, readLayer(wanted.query));
    const known = page.models.some((item) => item.id === wanted.model);
    await selectModel(known ? wanted.model : page.models[0].id, { fillExample: wanted.input === null });
    if (wanted.input !== null) els.input.value = wanted.input;
    await run({ push: false });
  }

  async function start() {
    try {
      const list = await api.models();
      page.models = list.data;
      fillModelSelect(els.model, page.models, null);
      els.model.disabled = page.models.length === 0;
      if (!page.models.length) {
        errors.show(t("model.none"));
        setState("error");
        return;
      }
      await restore();
    } catch (error) {
      shell.fail(error, null, () => start());
    }
  }

  function onLanguage() {
    applyTeachingText(document);
    els.lang.textContent = t("lang.other");
    shell.relabel();
    fillModelSelect(els.model, page.models, page.model?.id);
    if (page.model) describeModel();
    if (!els.message.hidden && els.message.dataset.reason) {
      els.message.textContent = t(`na.${els.message.dataset.reason}`);
    }
    if (page.payload) {
      fillLayerChooser();
      render(page.payload, page);
    }
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  els.model.addEventListener("change", async () => {
    Object.assign(page, { layer: null, direction: null }); // another model: its top layer
    await selectModel(els.model.value, { fillExample: true });
    await run();
  });
  els.layer?.addEventListener("change", () => {
    const [layer, direction] = els.layer.value.split("|");
    Object.assign(page, { layer: Number(layer), direction });
    run();
  });
  els.lang.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
  window.addEventListener("popstate", () => restore());
  onLangChange(onLanguage);
  applyTeachingText(document);
  els.lang.textContent = t("lang.other");

  page.rerun = () => run({ push: false });
  page.writeUrl = writeUrl;
  page.rendered = () => shell.rendered();
  start();
  return page;
}
