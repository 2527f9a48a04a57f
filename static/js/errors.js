// Errors shown in place, in words, quoting the part of the input that caused them.
// The API's field path ("input", 3, 1) counts from 0; the page says "step 4, value 2".

import { t } from "./i18n.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Where a field path points: {step, value} counted from 0, or nulls. */
export function pointOf(path) {
  const start = path[0] === "input" ? 1 : path.findIndex((part) => typeof part === "number");
  if (start < 0) return { step: null, value: null };
  const step = typeof path[start] === "number" ? path[start] : null;
  const value = typeof path[start + 1] === "number" ? path[start + 1] : null;
  return { step, value };
}

function where(problem) {
  const { step, value } = pointOf(problem.path);
  if (step !== null && value !== null) return t("error.at", { step: step + 1, value: value + 1 });
  if (step !== null) return t("error.at.step", { step: step + 1 });
  if (problem.field) return t("error.field", { field: problem.field });
  return "";
}

/** The input line of one step with the offending value wrapped in <mark>. */
function quoteStep(text, location, valueIndex) {
  const quote = element("blockquote", "error-quote");
  const line = text.slice(location.start, location.end);
  const cell = valueIndex === null ? null : location.cells[valueIndex];
  if (!cell) {
    quote.append(element("mark", "", line));
    return quote;
  }
  const from = cell.start - location.start;
  const to = cell.end - location.start;
  quote.append(line.slice(0, from), element("mark", "", line.slice(from, to)), line.slice(to));
  return quote;
}

export class ErrorBox {
  constructor(box, input) {
    this.box = box;
    this.input = input;
  }

  clear() {
    this.box.hidden = true;
    delete this.box.dataset.status;
    this.box.replaceChildren();
    this.input.classList.remove("invalid");
    this.input.removeAttribute("aria-invalid");
  }

  /** headline: the sentence; problems: [{path, field, message}]; context: {text, locations}. */
  show(headline, problems = [], context = {}) {
    this.box.replaceChildren();
    this.box.hidden = false;
    this.box.append(element("p", "error-headline", headline));
    const list = element("ul", "error-list");
    let selection = null;
    for (const problem of problems) {
      const item = element("li");
      const place = where(problem);
      if (place) item.append(element("strong", "error-place", place), ": ");
      item.append(element("span", "error-text", problem.message));
      if (problem.field) item.append(" ", element("code", "error-field", problem.field));
      const quote = this.quote(problem, context);
      if (quote) {
        item.append(quote.node);
        selection = selection || quote.range;
      }
      list.append(item);
    }
    if (problems.length) this.box.append(list);
    if (context.text !== undefined && problems.some((problem) => problem.path?.[0] === "input")) {
      this.input.classList.add("invalid");
      this.input.setAttribute("aria-invalid", "true");
    }
    if (selection) {
      this.input.focus({ preventScroll: true });
      this.input.setSelectionRange(selection[0], selection[1]);
    }
  }

  quote(problem, context) {
    const { text, locations } = context;
    if (text === undefined || problem.path?.[0] !== "input") return null;
    const { step, value } = pointOf(problem.path);
    if (locations && step !== null && locations[step]) {
      const location = locations[step];
      const cell = value === null ? null : location.cells[value];
      const range = cell ? [cell.start, cell.end] : [location.start, location.end];
      return { node: quoteStep(text, location, value), range };
    }
    const quote = element("blockquote", "error-quote");
    quote.append(element("mark", "", text.trim() ? text : "␣"));
    return { node: quote, range: null };
  }
}
