// The links row (templates/teaching/_nav.html) on the explorer and on every teaching view: each link
// keeps the current ?model=&input= so a view opens on exactly what the class is looking at.
// The hrefs follow the URL: on load, after history changes, whenever the page settles, and at
// the moment a link is used.

import { onLangChange } from "../i18n.js";
import { t } from "./text.js";

const PATHS = { explorer: "/", compare: "/compare", gradient: "/gradient", saturation: "/saturation", padding: "/padding", state: "/state", whatif: "/whatif" };

/** The href of one view for the page's current query (only model and input carry over). */
export function teachingHref(view, search = window.location.search) {
  const current = new URLSearchParams(search);
  const query = new URLSearchParams();
  if (current.get("model")) query.set("model", current.get("model"));
  if (current.has("input")) query.set("input", current.get("input"));
  const text = query.toString();
  return text ? `${PATHS[view]}?${text}` : PATHS[view];
}

function links() {
  return [...document.querySelectorAll("[data-teaching-link]")];
}

/** On the explorer (which names its model's input kind on <body>), /state, which only reads
 *  numbers, is offered for a numbers model only. */
function offered(view) {
  const kind = document.body.dataset.inputKind;
  return view !== "state" || kind === undefined || kind === "numbers";
}

function refresh() {
  for (const link of links()) {
    link.hidden = !offered(link.dataset.teachingLink);
    link.href = teachingHref(link.dataset.teachingLink);
    if (PATHS[link.dataset.teachingLink] === window.location.pathname) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function translate() {
  document.querySelectorAll("[data-testid=teaching-links] [data-teaching-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.teachingI18n);
  });
}

function start() {
  refresh();
  translate();
  for (const link of links()) {
    for (const type of ["pointerdown", "focus", "click"]) link.addEventListener(type, refresh);
  }
  window.addEventListener("popstate", refresh);
  document.addEventListener("gatescope:url", refresh);
  // The explorer writes the URL itself (url-state.js, coalesced); follow it as the page settles.
  new MutationObserver(() => window.setTimeout(refresh, 250)).observe(document.body, {
    attributes: true,
    attributeFilter: ["data-state", "data-input-kind"],
  });
  onLangChange(translate);
}

start();
