// What-if interventions as the page shows them and as the URL carries them, written once for the
// what-if page and the explorer's shift-click (issue 13).
//
// One intervention: {site, op, value, units, steps, source}. site is the API's own name
// (layer{L}.{direction}.{name}, L from 0 as the API counts); units and steps are what the page
// shows, counted from 1: "all", "3", "1,4,7" or "2-5" (inclusive); source is the patch op's
// input text. In the URL: &iv=<site>:<op>:<value>:<units>:<steps>[:<source>], interventions
// separated by ";" and every field percent-encoded, so ":" and ";" inside a field are safe.

export const OPS = ["set", "scale", "add", "mean", "zero", "patch"];
const NEEDS_VALUE = new Set(["set", "scale", "add"]);

/** Whether an op takes a value (set, scale, add). */
export function needsValue(op) {
  return NEEDS_VALUE.has(op);
}

/** "all" | "3" | "1,4,7" | "2-5" (from 1) -> "all" or sorted 0-based indices; null when malformed. */
export function parseIndices(text) {
  const clean = String(text ?? "").trim().toLowerCase();
  if (clean === "" || clean === "all") return "all";
  const found = new Set();
  for (const part of clean.split(",")) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!match) return null;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < 1 || last < first || last - first > 10_000) return null;
    for (let index = first; index <= last; index += 1) found.add(index - 1);
  }
  return [...found].sort((a, b) => a - b);
}

/** The intervention as the API wants it (units and steps from 0); `source` parsed by `readSource`. */
export function toApi(item, readSource = (text) => text) {
  const body = { site: item.site, op: item.op, units: parseIndices(item.units), steps: parseIndices(item.steps) };
  if (needsValue(item.op)) body.value = Number(item.value);
  if (item.op === "patch") body.source_input = readSource(item.source ?? "");
  return body;
}

/** Whether the page can send it: a known op, a site, units and steps that parse, a finite value. */
export function valid(item) {
  if (!item || !OPS.includes(item.op) || !/^layer\d+\.(forward|backward)\.\w+$/.test(item.site ?? "")) return false;
  if (parseIndices(item.units) === null || parseIndices(item.steps) === null) return false;
  if (needsValue(item.op) && !Number.isFinite(Number(item.value))) return false;
  return item.op !== "patch" || Boolean(item.source);
}

/** The URL's iv parameter for a list (null for none). */
export function encodeInterventions(items) {
  if (!items.length) return null;
  return items
    .map((item) => {
      const fields = [item.site, item.op, needsValue(item.op) ? String(item.value) : "", item.units || "all", item.steps || "all"];
      if (item.op === "patch") fields.push(item.source ?? "");
      return fields.map(encodeURIComponent).join(":");
    })
    .join(";");
}

/** The list an iv parameter holds; entries that do not parse are left out. */
export function decodeInterventions(text) {
  if (!text) return [];
  return text
    .split(";")
    .map((entry) => {
      const [site, op, value, units, steps, source] = entry.split(":").map((field) => {
        try {
          return decodeURIComponent(field);
        } catch {
          return "";
        }
      });
      const item = { site, op, value: needsValue(op) ? Number(value) : null, units: units || "all", steps: steps || "all" };
      if (op === "patch") item.source = source ?? "";
      return item;
    })
    .filter(valid);
}

/** /whatif for a model and input with these interventions (and the heatmap showing `show`). */
export function whatifHref(model, input, items, { show = null } = {}) {
  const query = new URLSearchParams();
  if (model) query.set("model", model);
  if (input !== null && input !== undefined) query.set("input", input);
  const iv = encodeInterventions(items);
  if (iv) query.set("iv", iv);
  if (show) query.set("show", show);
  return `/whatif?${query.toString()}`;
}
