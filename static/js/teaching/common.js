// What every teaching page adds to the page shell (../shell.js: input, busy state, stale answers,
// token, errors, the Hangul Enter guard): the model and input form, ?model=&input= in the URL,
// the language, and one fetch of the page's series from the JSON API.
// A page module calls startTeachingPage({...}) with how to ask the API and how to render the answer.

import { ApiError, api } from "../api.js";
import { lang, onLangChange, setLang } from "../i18n.js";
import { formatNumbers } from "../input.js";
import { fillModelSelect, inputHint } from "../models.js";
import { PageShell } from "../shell.js";
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
 * Returns the page: {models, model, text, payload, rerun(), writeUrl(push), rendered()}.
 */
export function startTeachingPage({ series, applies = () => null, body = (input) => ({ input }), render, extras = () => ({}) }) {
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
  };
  const page = { models: [], model: null, text: null, payload: null };
  const shell = new PageShell({
    input: els.input,
    run: els.run,
    kind: () => page.model?.input_kind,
    submit: () => run(),
    labels: { idle: "teaching.run", busy: "teaching.running" },
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
    const payload = await shell.request(() => postSeries(model.id, series, body(read.input, page)), {
      read,
      retry: () => run({ push: false }),
      handle: notApplicable,
    });
    if (payload === null) return;
    page.payload = payload;
    els.result.hidden = false;
    await render(payload, page);
    shell.rendered();
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
    const search = queryString(page.model?.id, page.text, extras());
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
    if (page.payload) render(page.payload, page);
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  els.model.addEventListener("change", async () => {
    await selectModel(els.model.value, { fillExample: true });
    await run();
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
