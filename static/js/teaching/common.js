// The shell every teaching view shares: the model and input form, ?model=&input= in the URL, the
// access token, errors, the language, and one fetch of the view's series from the JSON API.
// A view module calls startTeachingPage({...}) with how to ask the API and how to render the answer.

import { ApiError, api } from "../api.js";
import { lang, onLangChange, setLang } from "../i18n.js";
import { ErrorBox } from "../errors.js";
import { ParseError, formatNumbers, parseNumbers } from "../input.js";
import { fillModelSelect, inputHint } from "../models.js";
import { TokenBox } from "../token-box.js";
import { applyTeachingText, t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** POST /api/v1/models/{id}/{series}, with the bearer token when the server wants one. */
export function postSeries(modelId, series, body) {
  return api.post(`/models/${encodeURIComponent(modelId)}/${series}`, body);
}

/** The query a view page was opened with: model, input (the box text) and view extras. */
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
 * Start a view page.
 *   series: the API path segment ("compare", "sensitivity", ...)
 *   applies(model): null when the view fits the model, else a reason key ("padding_needs_text")
 *   body(input, page): the request body for the parsed input (default {input})
 *   render(payload, page): draw; returns a promise
 *   extras(): view state kept in the URL besides model and input
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
  const errors = new ErrorBox(byTestId("error-message"), els.input);
  const tokenBox = new TokenBox(
    byTestId("token-box"),
    byTestId("token-input"),
    document.getElementById("token-message"),
  );
  const page = { models: [], model: null, text: null, payload: null, request: 0, renders: 0 };

  function setState(state) {
    document.body.dataset.state = state;
  }

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

  /** The box as the API wants it, or null after showing why it cannot be read. */
  function readInput() {
    const text = els.input.value;
    if (!text.trim()) {
      errors.show(t("error.empty"), [], { text });
      return null;
    }
    if (page.model.input_kind !== "numbers") return { text, input: text, locations: null };
    try {
      const { rows, locations } = parseNumbers(text);
      return { text, input: rows, locations };
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      const problem = error.problem(t("error.parse", { text: error.text }));
      errors.show(t("error.422"), [problem], { text });
      return null;
    }
  }

  async function run({ push = true } = {}) {
    errors.clear();
    hideMessage();
    const model = page.model;
    const reason = applies(model);
    const read = readInput();
    if (!read) return;
    page.text = read.text;
    writeUrl(push);
    if (reason) {
      showMessage(reason);
      return;
    }
    const request = ++page.request;
    setBusy(true);
    let payload;
    try {
      payload = await postSeries(model.id, series, body(read.input, page));
    } catch (error) {
      if (request === page.request) handleError(error, read, () => run({ push: false }));
      return;
    } finally {
      if (request === page.request) setBusy(false);
    }
    if (request !== page.request) return;
    page.payload = payload;
    els.result.hidden = false;
    await render(payload, page);
    page.renders += 1;
    setState("ready");
  }

  function handleError(error, read, retry) {
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 401) {
      askForToken(retry);
      return;
    }
    const reason = error.status === 422 && Array.isArray(error.detail) ? error.detail[0]?.type : null;
    if (reason && t(`na.${reason}`) !== `na.${reason}`) {
      showMessage(reason);
      return;
    }
    const headline =
      error.status === 0 ? t("error.network") : error.status === 404 ? t("error.404", { model: page.model?.id }) : t("error.422");
    errors.show(headline, error.status === 0 ? [] : error.problems, { text: read.text, locations: read.locations });
    setState("error");
  }

  function setBusy(busy) {
    els.run.disabled = busy;
    els.run.textContent = t(busy ? "teaching.running" : "teaching.run");
    if (busy) setState("loading");
  }

  function writeUrl(push) {
    const search = queryString(page.model?.id, page.text, extras());
    if (search === window.location.search) return;
    if (push) window.history.pushState(null, "", search);
    else window.history.replaceState(null, "", search);
    document.dispatchEvent(new CustomEvent("gatescope:url"));
  }

  function askForToken(retry) {
    tokenBox.ask(retry, t("token.wrong"));
    setState("token");
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
      if (error instanceof ApiError) handleError(error, { text: undefined }, () => start());
      else throw error;
    }
  }

  function onLanguage() {
    applyTeachingText(document);
    els.lang.textContent = t("lang.other");
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
  els.input.addEventListener("keydown", (event) => {
    const sentence = page.model?.input_kind !== "numbers";
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey || (sentence && !event.shiftKey))) {
      event.preventDefault();
      run();
    }
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
  window.gatescopeView = {
    get payload() {
      return page.payload;
    },
    get renders() {
      return page.renders;
    },
    get model() {
      return page.model?.id;
    },
    ready: start(),
  };
  return page;
}
