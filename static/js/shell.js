// The page shell every page runs on (the explorer, the teaching pages, and pages to come): it reads
// the input box (a sentence, or numbers one step per line), submits on Enter (never while a Hangul
// syllable is being composed), keeps the run button busy, lets only the latest request render,
// asks for the access token on 401, and shows every error in words, in English or Korean.
//
// A page makes one shell and asks it for data:
//
//   const shell = new PageShell({ input, run, kind: () => model.input_kind, submit: () => go() });
//   const read = shell.readInput();              // {text, input, locations} or null (error shown)
//   if (!read) return;
//   const payload = await shell.request(() => api.trace(id, read.input), { read, retry: go });
//   if (payload === null) return;                 // failed (error shown) or superseded: draw nothing
//   draw(payload);
//   shell.rendered();                             // body[data-state=ready], body[data-renders] += 1
//
// What the page is doing is on <body> for anyone to see (tests included): data-state is one of
// booting, idle, loading, ready, error, token, na; data-renders counts finished renders.

import { ApiError } from "./api.js";
import { ErrorBox } from "./errors.js";
import { lang, t } from "./i18n.js";
import { ParseError, parseNumbers } from "./input.js";
import { TokenBox } from "./token-box.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** The headline for an API error: one sentence per status, in the page's language. */
export function errorHeadline(error, { model = null } = {}) {
  if (error.timeout) return t("error.timeout");
  const status = error.status;
  if (status === 0) return t("error.network");
  if (status === 404) return model ? t("error.404", { model }) : t("error.404.other");
  if ([400, 401, 409, 413, 422, 429].includes(status)) return t(`error.${status}`);
  if (status >= 500) return t("error.500", { status });
  return t("error.status", { status });
}

/** One detail item's sentence: the Korean text for its stable code when there is one, else the API's. */
export function problemText(problem) {
  if (lang() !== "en" && problem.code) {
    const key = `code.${problem.code}`;
    const text = t(key, problem.params || {});
    if (text !== key) return text;
  }
  return problem.message;
}

/** True when this keydown is an Enter that only completes an IME composition (Hangul, kana…). */
export function composing(event) {
  return event.isComposing || event.keyCode === 229;
}

export class PageShell {
  /**
   * input: the <textarea>; run: the run button; kind(): "text" or "numbers" for the current model;
   * submit(): what Enter (or the button) does; labels: i18n keys of the button at rest and busy;
   * model(): the current model id (named in a 404); text(key): where the button's labels are
   * (the teaching pages keep theirs in teaching/text.js).
   */
  constructor({ input, run, kind, submit, labels = { idle: "run", busy: "running" }, model = () => null, text = t }) {
    this.input = input;
    this.run = run;
    this.kind = kind;
    this.labels = labels;
    this.text = text;
    this.model = model;
    this.latest = 0; // only the answer to the latest request may render
    this.busy = false;
    this.errors = new ErrorBox(byTestId("error-message"), input);
    this.tokenBox = new TokenBox(byTestId("token-box"), byTestId("token-input"), document.getElementById("token-message"));
    if (!document.body.dataset.renders) document.body.dataset.renders = "0";
    input.addEventListener("keydown", (event) => {
      // Enter alone runs a sentence (it stays one line); Ctrl/Cmd+Enter runs either kind.
      if (event.key !== "Enter" || composing(event)) return;
      const sentence = this.kind() !== "numbers";
      if (event.ctrlKey || event.metaKey || (sentence && !event.shiftKey)) {
        event.preventDefault();
        submit();
      }
    });
    input.addEventListener("input", () => this.errors.clear());
  }

  /** The page's state on <body data-state>. */
  setState(state) {
    document.body.dataset.state = state;
  }

  /** The box as the API wants it: {text, input (sentence or rows), locations}; null after showing why not. */
  readInput() {
    const text = this.input.value;
    if (!text.trim()) {
      this.errors.show(t("error.empty"), [], { text });
      return null;
    }
    if (this.kind() !== "numbers") return { text, input: text, locations: null };
    try {
      const { rows, locations } = parseNumbers(text);
      return { text, input: rows, locations };
    } catch (error) {
      if (!(error instanceof ParseError)) throw error;
      const problem = error.problem(t("error.parse", { text: error.text }));
      const locations = [...Array(error.step).fill(null), error.location];
      this.errors.show(t("error.422"), [problem], { text, locations });
      return null;
    }
  }

  /**
   * Run `call` (a promise-returning API call) as the page's one current request. Resolves to its
   * answer, or to null when it failed (the error is shown, or the token asked for and `retry`
   * kept for when it is given) or when a newer request was made meanwhile.
   * `handle(error)` may take an API error first (return true when it did).
   */
  async request(call, { read = null, retry = null, handle = () => false } = {}) {
    const request = ++this.latest;
    this.errors.clear();
    this.setBusy(true);
    try {
      const answer = await call();
      return request === this.latest ? answer : null;
    } catch (error) {
      if (request === this.latest && !handle(error)) this.fail(error, read, retry);
      return null;
    } finally {
      if (request === this.latest) this.setBusy(false);
    }
  }

  /** Forget any request in flight: its answer will not render. */
  supersede() {
    this.latest += 1;
    this.setBusy(false);
  }

  /** Show an error: the token box for a 401, else a headline and the API's problems. */
  fail(error, read = null, retry = null) {
    if (!(error instanceof ApiError)) {
      this.errors.show(t("error.title"), [{ path: [], field: null, message: String(error?.message || error) }]);
      this.setState("error");
      throw error;
    }
    if (error.status === 401) {
      this.tokenBox.ask(retry, t("token.wrong"));
      this.setState("token");
      return;
    }
    const problems = error.status === 0 ? [] : error.problems.map((problem) => ({ ...problem, message: problemText(problem) }));
    this.errors.show(errorHeadline(error, { model: this.model() }), problems, read ? { text: read.text, locations: read.locations } : {});
    this.errors.box.dataset.status = String(error.timeout ? "timeout" : error.status);
    this.setState("error");
  }

  /** A message of the page's own (no API error behind it). */
  showMessage(headline) {
    this.errors.show(headline);
    this.setState("error");
  }

  clearError() {
    this.errors.clear();
  }

  setBusy(busy) {
    this.busy = busy;
    this.run.disabled = busy;
    this.run.textContent = this.text(busy ? this.labels.busy : this.labels.idle);
    this.run.setAttribute("aria-busy", String(busy));
    if (busy) this.setState("loading");
    else if (document.body.dataset.state === "loading") this.setState("idle");
  }

  /** A render finished: body[data-state=ready] and body[data-renders] one higher. */
  rendered() {
    document.body.dataset.renders = String(Number(document.body.dataset.renders || 0) + 1);
    this.setState("ready");
  }

  /** Re-label the button after a language change. */
  relabel() {
    this.run.textContent = this.text(this.busy ? this.labels.busy : this.labels.idle);
  }
}
