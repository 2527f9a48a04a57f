// What the class sees lives in the query string, so a teacher can share exactly this view:
// ?model=<id>&input=<text or the numbers box>&step=<t>&unit=<k>[&layer=<n>][&dir=backward]
// [&pads=collapsed]: step, unit and layer count from 1, as the page shows them (real steps, pads
// collapsed or not).

const DEFAULTS = { layer: 1, dir: "forward" };
const WRITE_DELAY_MS = 150;
let pending = null;
let timer = null;

function positive(value) {
  const number = Number.parseInt(value, 10);
  return Number.isFinite(number) && number >= 1 ? number : null;
}

/** The view the URL asks for; missing parts are null (layer/dir fall back to their defaults). */
export function readState(search = window.location.search) {
  const query = new URLSearchParams(search);
  return {
    model: query.get("model") || null,
    input: query.has("input") ? query.get("input") : null,
    step: positive(query.get("step")),
    unit: positive(query.get("unit")),
    layer: positive(query.get("layer")) ?? DEFAULTS.layer,
    dir: query.get("dir") === "backward" ? "backward" : DEFAULTS.dir,
    pads: query.get("pads") === "collapsed" ? "collapsed" : null,
  };
}

function toSearch(state) {
  const query = new URLSearchParams();
  if (state.model) query.set("model", state.model);
  if (state.input !== null && state.input !== undefined) query.set("input", state.input);
  if (state.step) query.set("step", String(state.step));
  if (state.unit) query.set("unit", String(state.unit));
  if (state.layer && state.layer !== DEFAULTS.layer) query.set("layer", String(state.layer));
  if (state.dir && state.dir !== DEFAULTS.dir) query.set("dir", state.dir);
  if (state.pads) query.set("pads", state.pads);
  const text = query.toString();
  return text ? `?${text}` : window.location.pathname;
}

/** A new history entry: a new model or input is a place the back button should return to. */
export function pushState(state) {
  cancelPending();
  const search = toSearch(state);
  if (search !== window.location.search) window.history.pushState(null, "", search);
}

/** Stepping and picking units replace the entry (coalesced), so history is not flooded. */
export function replaceState(state) {
  pending = toSearch(state);
  if (timer === null) timer = window.setTimeout(flush, WRITE_DELAY_MS);
}

export function flush() {
  if (timer !== null) window.clearTimeout(timer);
  timer = null;
  if (pending !== null && pending !== window.location.search) {
    window.history.replaceState(null, "", pending);
  }
  pending = null;
}

/** Drop a write not yet made (the history entry it was meant for may be gone: back/forward). */
export function cancelPending() {
  if (timer !== null) window.clearTimeout(timer);
  timer = null;
  pending = null;
}
