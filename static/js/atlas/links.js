// The explorer's way into the unit atlas: "what else turns this unit on?" opens the selected
// unit's card, "find this pattern" matches the selected steps (the current step and the steps
// before it, as many as chosen) across the corpus. Both follow the explorer's URL (url-state.js):
// it counts steps, units and layers from 1; the atlas counts from 0.

import { onLangChange } from "../i18n.js";
import { readState } from "../url-state.js";
import { t } from "./text.js";

function element(tag, attributes = {}, text = "") {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text) node.textContent = text;
  return node;
}

const nav = element("nav", { class: "atlas-links", "data-testid": "atlas-links", "aria-label": "unit atlas" });
const unitLink = element("a", { "data-testid": "link-atlas-unit", href: "/atlas" });
const patternLink = element("a", { "data-testid": "link-atlas-pattern", href: "/atlas" });
const span = element("input", { type: "number", min: "1", max: "64", value: "1", "data-testid": "atlas-span" });
const spanLabel = element("label");

/** The atlas URLs for what the explorer shows now (null until a trace is shown). */
export function atlasHrefs(search = window.location.search, steps = 1) {
  const view = readState(search);
  if (!view.model) return null;
  const base = new URLSearchParams({ model: view.model });
  const unit = new URLSearchParams(base);
  if (view.unit) unit.set("unit", `${view.layer - 1}/${view.dir}/hidden/${view.unit - 1}`);
  const pattern = new URLSearchParams(base);
  if (view.input !== null && view.step) {
    pattern.set("input", view.input);
    pattern.set("start", String(Math.max(0, view.step - steps)));
    pattern.set("end", String(view.step - 1));
  }
  return { unit: `/atlas?${unit}`, pattern: `/atlas?${pattern}` };
}

function refresh() {
  const hrefs = atlasHrefs(window.location.search, Math.max(1, Number.parseInt(span.value, 10) || 1));
  nav.hidden = hrefs === null;
  if (!hrefs) return;
  unitLink.href = hrefs.unit;
  patternLink.href = hrefs.pattern;
}

function translate() {
  unitLink.textContent = t("link.atlas.unit");
  patternLink.textContent = t("link.atlas.pattern");
  spanLabel.replaceChildren(span, ` ${t("link.atlas.span")}`);
}

function start() {
  const anchor = document.querySelector("[data-testid=teaching-links]");
  nav.append(unitLink, patternLink, spanLabel);
  if (anchor) anchor.after(nav);
  else document.querySelector("main")?.prepend(nav);
  translate();
  refresh();
  for (const link of [unitLink, patternLink]) {
    for (const type of ["pointerdown", "focus", "click"]) link.addEventListener(type, refresh);
  }
  span.addEventListener("input", refresh);
  window.addEventListener("popstate", refresh);
  new MutationObserver(() => window.setTimeout(refresh, 250)).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-state", "data-step", "data-unit"],
  });
  onLangChange(translate);
}

start();
