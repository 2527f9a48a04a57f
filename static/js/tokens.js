// The input as the model saw it: one cell per step (token and id, OOV and padding marked; or the
// scaled feature values). Cells light up as the animation passes them.

import { t } from "./i18n.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function number(value) {
  return value === null || value === undefined ? "–" : Number(value).toFixed(3);
}

function truncationText({ dropped, kept, from }) {
  const key = `tokens.truncated.${from}`;
  return t(dropped === 1 ? `${key}.one` : key, { dropped, kept });
}

export class TokenStrip {
  constructor(strip, title, legend) {
    this.strip = strip;
    this.title = title;
    this.legend = legend;
    this.cells = [];
    this.step = 0;
    this.geometry = null;
    this.scroll = 0;
    new ResizeObserver(() => {
      this.geometry = null;
    }).observe(strip);
    strip.addEventListener("scroll", () => {
      this.scroll = strip.scrollLeft; // a hand on the scrollbar wins until the next reveal
    }, { passive: true });
  }

  update(payload, view, features) {
    this.payload = payload;
    this.features = features;
    this.strip.replaceChildren();
    const text = Array.isArray(payload.tokens);
    this.strip.dataset.kind = text ? "text" : "numbers";
    this.title.textContent = t(text ? "tokens.text" : "tokens.numbers");
    if (!text) this.strip.append(this.featureNames(payload));
    this.cells = [];
    for (let index = 0; index < payload.steps; index += 1) {
      const cell = text ? this.tokenCell(payload, index) : this.numbersCell(payload, index);
      cell.dataset.step = String(index + 1);
      this.cells.push(cell);
    }
    this.strip.append(...this.cells);
    this.geometry = null;
    this.renderLegend(text);
    this.renderTruncation(payload.truncated);
    this.step = 0;
    this.setStep(view.step);
  }

  tokenCell(payload, index) {
    const kind = payload.token_kinds?.[index] ?? "word";
    const cell = element("li", `cell token kind-${kind}`);
    const token = payload.tokens[index];
    cell.append(element("span", "cell-step", String(index + 1)));
    cell.append(element("span", "token-text", kind === "pad" ? "·" : token));
    const id = payload.token_ids?.[index];
    cell.append(element("span", "token-id", kind === "oov" ? `OOV ${id}` : String(id ?? "")));
    cell.title = `${t(`tokens.${kind}`)} · id ${id}`;
    return cell;
  }

  featureNames(payload) {
    const width = (payload.scaled?.[0] || payload.values?.[0] || []).length;
    const names = this.features?.length === width ? this.features : Array.from({ length: width }, (_, i) => `x${i + 1}`);
    const header = element("li", "cell feature-names");
    header.append(element("span", "cell-step", "#"));
    names.forEach((name) => header.append(element("span", "feature-name", name)));
    return header;
  }

  numbersCell(payload, index) {
    const cell = element("li", "cell numbers");
    cell.append(element("span", "cell-step", String(index + 1)));
    const scaled = payload.scaled?.[index] ?? payload.values?.[index] ?? [];
    const original = payload.values?.[index] ?? [];
    scaled.forEach((value) => cell.append(element("span", "scaled", number(value))));
    cell.title = `${t("tokens.original")}: ${original.join(", ")}`;
    return cell;
  }

  renderLegend(text) {
    this.legend.replaceChildren();
    this.legend.hidden = !text;
    if (!text) return;
    for (const kind of ["word", "oov", "pad"]) {
      const item = element("span", `legend-item kind-${kind}`);
      item.append(element("span", "swatch"), element("span", "", t(`tokens.${kind}`)));
      this.legend.append(item);
    }
  }

  /** Say what a text longer than the model's maxlen lost ({dropped, kept, from}), beside the legend. */
  renderTruncation(truncated) {
    if (!this.note) {
      this.note = element("p", "tokens-truncated");
      this.note.dataset.testid = "tokens-truncated";
      this.note.setAttribute("role", "status");
      this.legend.after(this.note);
    }
    this.note.hidden = !truncated;
    this.note.textContent = truncated ? truncationText(truncated) : "";
    if (truncated) Object.assign(this.note.dataset, { dropped: truncated.dropped, kept: truncated.kept, from: truncated.from });
  }

  /** step counts from 1; cells before it are "passed", it is "current". */
  setStep(step) {
    if (step === this.step) return;
    this.step = step;
    this.cells.forEach((cell, index) => {
      cell.classList.toggle("passed", index < step - 1);
      cell.classList.toggle("current", index === step - 1);
    });
    this.reveal(this.cells[step - 1]);
  }

  /**
   * Scroll the strip (never the page) so the current cell is in view. Cell offsets are measured
   * once per trace and strip size (class changes never move cells), so stepping forces no layout.
   */
  reveal(cell) {
    if (!cell) return;
    const strip = this.strip;
    if (!this.geometry) {
      if (!strip.clientWidth) return; // hidden: measured once shown
      this.geometry = {
        width: strip.clientWidth,
        cells: this.cells.map((item) => [item.offsetLeft, item.offsetWidth]),
      };
      this.scroll = strip.scrollLeft;
    }
    const [left, width] = this.geometry.cells[this.cells.indexOf(cell)];
    const view = this.geometry.width;
    if (left < this.scroll + 60 || left + width > this.scroll + view - 60) {
      this.scroll = Math.max(0, Math.round(left - view / 2 + width / 2));
      strip.scrollLeft = this.scroll;
    }
  }
}
