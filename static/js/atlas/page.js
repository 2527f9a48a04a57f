// /atlas?model=<id>: the unit atlas (issue 12). The unit grid (every unit in one line), a unit's
// card (its top and bottom contexts as aligned text with small heatmaps, quantiles, the words that
// move it), pattern match (each match opens the explorer at its document and step), the
// hypothesis box (units ranked by AUROC) and the co-cluster grid, all from the atlas API; a
// progress bar while the index builds (the API answers 202 until it is ready).
// URL state: ?model=&unit=L/dir/track/u&doc=&start=&end=&input=&kind=&q= (steps count from 0,
// as the atlas API numbers trace steps; the explorer's own URL counts from 1).

import { ApiError, api, getToken } from "../api.js";
import { applyStatic, lang, onLangChange, setLang } from "../i18n.js";
import { fillModelSelect } from "../models.js";
import { PageShell } from "../shell.js";
import { applyAtlasText, t } from "./text.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const POLL_MS = 400;
// the last answers drawn, so a language change redraws them in the other language
const state = { model: null, models: [], status: null, grid: null, kind: "text", poll: 0, shown: {} };

const els = {
  model: byTestId("atlas-model"),
  file: byTestId("atlas-corpus-file"),
  build: byTestId("atlas-build"),
  statusText: byTestId("atlas-status-text"),
  progress: byTestId("atlas-progress"),
  kind: byTestId("atlas-hypothesis-kind"),
  query: byTestId("atlas-hypothesis-input"),
  rank: byTestId("atlas-hypothesis-run"),
  ranked: byTestId("atlas-hypothesis-results"),
  grid: byTestId("atlas-grid"),
  card: byTestId("atlas-card"),
  matchSource: byTestId("atlas-match-source"),
  matchDocument: byTestId("atlas-match-document"),
  matchStart: byTestId("atlas-match-start"),
  matchEnd: byTestId("atlas-match-end"),
  percentile: byTestId("atlas-match-percentile"),
  matchRun: byTestId("atlas-match-run"),
  matches: byTestId("atlas-match-results"),
  clusters: byTestId("atlas-clusters"),
  lang: byTestId("lang-toggle"),
};

const shell = new PageShell({
  input: els.query,
  run: els.rank,
  kind: () => "text",
  submit: () => rank(),
  labels: { idle: "atlas.rank", busy: "atlas.ranking" },
  model: () => state.model,
  text: t,
});

// -- small helpers --------------------------------------------------------------------------------

function element(tag, className = "", text = "") {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== "") node.textContent = text;
  return node;
}

const atlasPath = (path = "") => `/models/${encodeURIComponent(state.model)}/atlas${path}`;
const post = (path, body) => api.post(`/models/${encodeURIComponent(state.model)}/atlas${path}`, body);

/** A GET with the API client's rules (token, errors), keeping the status: 202 means building. */
async function request(method, path) {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: "same-origin" });
  } catch (error) {
    throw new ApiError(0, error.message);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, payload?.detail ?? response.statusText);
  return { status: response.status, payload };
}

const number = (value, digits = 4) => (value === null || value === undefined ? "–" : Number(value).toFixed(digits));

/** A value's colour: red above zero, blue below, white at zero (scaled by `extent`). */
function heat(value, extent) {
  const share = Math.max(-1, Math.min(1, value / (extent || 1)));
  const light = Math.round(255 - Math.abs(share) * 170);
  return share >= 0 ? `rgb(255, ${light}, ${light})` : `rgb(${light}, ${light}, 255)`;
}

function unitName(text) {
  const [layer, direction, track, unit] = text.split("/");
  return { layer: Number(layer), direction, track, unit: Number(unit) };
}

function unitLabel(text) {
  const unit = unitName(text);
  return t("atlas.card.title", {
    layer: unit.layer + 1,
    direction: t(`direction.${unit.direction}`),
    track: trackLabel(unit.track),
    unit: unit.unit + 1,
  });
}

function trackLabel(track) {
  if (track === "hidden") return "h";
  if (track === "cell") return "c";
  const key = `gate.${track}`;
  const text = t(key);
  return text === key ? track : text;
}

// -- URL state ------------------------------------------------------------------------------------

function readUrl() {
  const query = new URLSearchParams(window.location.search);
  const integer = (name) => (query.has(name) && query.get(name) !== "" ? Number.parseInt(query.get(name), 10) : null);
  return {
    model: query.get("model"),
    unit: query.get("unit"),
    doc: integer("doc"),
    start: integer("start"),
    end: integer("end"),
    input: query.get("input"),
    kind: query.get("kind") || "words",
    q: query.get("q"),
  };
}

function writeUrl(changes) {
  const query = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") query.delete(key);
    else query.set(key, String(value));
  }
  const text = query.toString();
  window.history.replaceState(null, "", text ? `?${text}` : window.location.pathname);
}

// -- status and building --------------------------------------------------------------------------

function showStatus(status) {
  state.status = status;
  document.body.dataset.atlas = status.status;
  const corpus = status.corpus;
  els.progress.hidden = status.status !== "building";
  els.progress.value = status.progress;
  if (status.status === "ready") {
    els.statusText.textContent = t("atlas.status.ready", corpus);
  } else if (status.status === "building") {
    els.statusText.textContent = t("atlas.status.building", {
      name: corpus?.name ?? "",
      percent: Math.round(status.progress * 100),
    });
  } else if (status.error) {
    els.statusText.textContent = t("atlas.status.failed", { message: status.error.message });
  } else {
    els.statusText.textContent = t(corpus ? "atlas.status.missing" : "atlas.status.nocorpus");
  }
}

async function loadStatus() {
  const generation = ++state.poll;
  try {
    const { payload } = await request("GET", atlasPath());
    if (generation !== state.poll) return;
    showStatus(payload);
    if (payload.status === "ready") await loadAll();
    else if (payload.status === "building") window.setTimeout(() => generation === state.poll && loadStatus(), POLL_MS);
    else if (payload.corpus) await startBuild();
    else shell.rendered();
  } catch (error) {
    if (generation === state.poll) shell.fail(error, null, loadStatus);
  }
}

/** POST .../atlas: with the chosen corpus file, or the model's own held-out data. */
async function startBuild() {
  const form = new FormData();
  if (els.file.files.length) form.append("corpus", els.file.files[0]);
  const headers = {};
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`/api/v1${atlasPath()}`, { method: "POST", body: form, headers });
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    shell.fail(new ApiError(response.status, payload?.detail ?? response.statusText));
    return;
  }
  showStatus(payload);
  if (payload.status === "ready") await loadAll();
  else window.setTimeout(loadStatus, POLL_MS);
}

// -- the unit grid --------------------------------------------------------------------------------

async function loadAll() {
  const answer = await shell.request(() => request("GET", atlasPath("/units")));
  if (answer === null) return;
  if (answer.status === 202) {
    showStatus(answer.payload);
    window.setTimeout(loadStatus, POLL_MS);
    return;
  }
  state.grid = answer.payload.tracks;
  drawGrid();
  const url = readUrl();
  if (url.unit) await showCard(url.unit);
  if (url.start !== null && (url.doc !== null || url.input !== null)) await runMatch();
  if (url.q || url.kind === "oov") await rank();
  await loadClusters();
  shell.rendered();
}

function drawGrid() {
  els.grid.replaceChildren();
  for (const track of state.grid) {
    const block = element("div", "atlas-track");
    block.append(element("h3", "chart-title", unitLabel(`${track.name}/0`).replace(/,[^,]*$/, "")));
    const list = element("div", "atlas-units");
    for (const row of track.units) {
      const name = `${track.name}/${row.unit}`;
      const button = element("button", "atlas-unit");
      button.type = "button";
      button.dataset.testid = `atlas-unit-${name}`;
      button.dataset.unit = name;
      button.title = unitLabel(name);
      button.append(
        element("strong", "", String(row.unit + 1)),
        element("span", "atlas-unit-line", t("atlas.unit.line", { mean: number(row.mean, 3), std: number(row.std, 3) })),
        element("span", "atlas-unit-word", row.top_word ?? ""),
      );
      button.style.borderLeftColor = heat(row.mean, 1);
      button.addEventListener("click", () => showCard(name));
      list.append(button);
    }
    block.append(list);
    els.grid.append(block);
  }
}

// -- a unit's card --------------------------------------------------------------------------------

async function showCard(name) {
  const unit = unitName(name);
  const path = `/units/${unit.layer}/${unit.direction}/${encodeURIComponent(unit.track)}/${unit.unit}?k=10`;
  const answer = await shell.request(() => request("GET", atlasPath(path)));
  if (answer === null || answer.status !== 200) return;
  writeUrl({ unit: name });
  drawCard(answer.payload);
  document.querySelectorAll(".atlas-unit[aria-pressed]").forEach((node) => node.removeAttribute("aria-pressed"));
  document.querySelector(`[data-unit="${name}"]`)?.setAttribute("aria-pressed", "true");
  shell.rendered();
}

function drawCard(card) {
  state.shown.card = card;
  els.card.hidden = false;
  els.card.dataset.unit = card.unit;
  const title = element("h2", "section-title", unitLabel(card.unit));
  title.dataset.testid = "atlas-card-title";
  const stats = element("dl", "atlas-stats");
  const stat = (key, value, testid) => {
    const dd = element("dd", "", number(value));
    dd.dataset.testid = testid;
    dd.dataset.value = String(value);
    stats.append(element("dt", "", t(key)), dd);
  };
  stat("atlas.card.mean", card.mean, "atlas-card-mean");
  stat("atlas.card.std", card.std, "atlas-card-std");
  const parts = [title, stats];
  if (card.saturation) parts.push(element("p", "hint", t("atlas.card.saturation", card.saturation)));
  parts.push(element("h3", "chart-title", t("atlas.card.quantiles")), quantileTable(card.quantiles));
  const extent = Math.max(...[...card.top, ...card.bottom].map((c) => Math.abs(c.value)), 1e-9);
  for (const side of ["top", "bottom"]) {
    parts.push(element("h3", "chart-title", t(`atlas.card.${side}`)));
    const list = element("div", "atlas-contexts");
    card[side].forEach((context, index) => {
      const row = contextRow(context, extent, card.unit);
      row.dataset.testid = `atlas-context-${side}-${index}`;
      list.append(row);
    });
    parts.push(list);
  }
  if (card.words) parts.push(wordTables(card.words));
  const match = element("button", "secondary", t("atlas.card.match"));
  match.type = "button";
  match.dataset.testid = "atlas-card-match";
  match.addEventListener("click", () => {
    const top = card.top[0];
    els.matchDocument.value = top.document;
    els.matchStart.value = top.step;
    els.matchEnd.value = top.step;
    writeUrl({ input: null });
    runMatch();
  });
  parts.push(match);
  els.card.replaceChildren(...parts);
}

function quantileTable(quantiles) {
  const table = element("table", "atlas-table atlas-quantiles");
  table.dataset.testid = "atlas-card-quantiles";
  const head = element("tr");
  const body = element("tr");
  for (const q of quantiles) {
    head.append(element("th", "", `${Math.round(q.q * 100)} %`));
    const cell = element("td", "", number(q.value));
    cell.dataset.q = String(q.q);
    cell.dataset.value = String(q.value);
    body.append(cell);
  }
  table.append(element("thead"), element("tbody"));
  table.tHead.append(head);
  table.tBodies[0].append(body);
  return table;
}

/** One context as aligned text: each token over a cell coloured by the unit's value there. */
function contextRow(context, extent, unit) {
  const row = element("div", "atlas-context");
  row.dataset.value = String(context.value);
  row.dataset.document = String(context.document);
  row.dataset.step = String(context.step);
  const tokens = element("div", "atlas-tokens");
  context.tokens.forEach((token, index) => {
    const cell = element("span", index === context.focus ? "atlas-token focus" : "atlas-token", tokenText(token));
    cell.style.background = heat(context.values[index], extent);
    cell.title = number(context.values[index]);
    cell.dataset.value = String(context.values[index]);
    tokens.append(cell);
  });
  const open = openButton(context.document, context.step, context.step, unit);
  row.append(element("span", "atlas-value", number(context.value)), tokens, open);
  return row;
}

const tokenText = (token) => (Array.isArray(token) ? token.map((v) => number(v, 1)).join(" ") : token);

function wordTables(words) {
  const box = element("div", "atlas-words");
  box.dataset.testid = "atlas-card-words";
  box.append(element("h3", "chart-title", t(`atlas.card.words.${words.measure}`)));
  for (const side of ["highest", "lowest"]) {
    const list = element("ol", "atlas-word-list");
    list.dataset.testid = `atlas-card-words-${side}`;
    for (const row of words[side]) {
      const item = element("li", "", `${row.word} `);
      item.dataset.word = row.word;
      item.dataset.value = String(row.value);
      item.append(element("span", "hint", `${number(row.value)} · ${t("atlas.card.count", { count: row.count })}`));
      list.append(item);
    }
    const column = element("div");
    column.append(element("h4", "", t(`atlas.card.${side}`)), list);
    box.append(column);
  }
  return box;
}

// -- opening the explorer -------------------------------------------------------------------------

function openButton(document_, start, end, unit) {
  const button = element("button", "link-button", t("atlas.open"));
  button.type = "button";
  button.addEventListener("click", () => openExplorer(document_, start, unit));
  return button;
}

/** The explorer at this document and step (its URL counts steps, units and layers from 1). */
async function openExplorer(documentId, step, unit) {
  const answer = await shell.request(() => request("GET", atlasPath(`/corpus?document=${documentId}`)));
  if (answer === null) return;
  const raw = answer.payload.documents[0].document;
  const input = typeof raw === "string" ? raw : raw.map((row) => row.join(", ")).join("\n");
  const target = unitName(unit);
  const query = new URLSearchParams({ model: state.model, input, step: String(step + 1), unit: String(target.unit + 1) });
  if (target.layer) query.set("layer", String(target.layer + 1));
  if (target.direction !== "forward") query.set("dir", target.direction);
  window.location.assign(`/?${query}`);
}

// -- pattern match --------------------------------------------------------------------------------

async function runMatch() {
  const url = readUrl();
  const fromInput = url.input !== null && els.matchDocument.value === "";
  const start = Number.parseInt(els.matchStart.value, 10);
  const end = Number.parseInt(els.matchEnd.value || els.matchStart.value, 10);
  const body = { start, end, percentile: Number(els.percentile.value) || 90, limit: 10 };
  if (fromInput) body.input = state.kind === "numbers" ? parseRows(url.input) : url.input;
  else body.document = Number.parseInt(els.matchDocument.value, 10);
  const answer = await shell.request(() => post("/match", body));
  if (answer === null) return;
  writeUrl(fromInput ? { doc: null, start, end } : { doc: body.document, start, end, input: null });
  drawMatches(answer);
  shell.rendered();
}

const parseRows = (text) => text.trim().split("\n").map((line) => line.split(/[,\s]+/).filter(Boolean).map(Number));

function drawMatches(found) {
  state.shown.matches = found;
  els.matches.replaceChildren();
  if (!found.units.length) {
    els.matches.append(element("p", "hint", t("atlas.match.none")));
    return;
  }
  els.matches.append(
    element("p", "hint", t("atlas.match.units", { units: found.units.map(unitLabel).join("; ") })),
    element("p", "hint", t("atlas.match.found", { candidates: found.candidates, shown: found.matches.length })),
  );
  found.matches.forEach((item, index) => {
    const row = element("div", "atlas-match-row");
    row.dataset.testid = `atlas-match-${index}`;
    row.dataset.document = String(item.document);
    row.dataset.start = String(item.start);
    row.append(element("p", "atlas-match-title", t("atlas.match.row", { ...item, fit: number(item.fit) })));
    const grid = element("div", "atlas-match-grid");
    grid.style.gridTemplateColumns = `auto repeat(${item.tokens.length}, minmax(2.5rem, max-content))`;
    grid.append(element("span", "hint", ""));
    for (const token of item.tokens) grid.append(element("span", "atlas-token", tokenText(token)));
    found.units.forEach((name, u) => {
      grid.append(element("span", "hint atlas-match-unit", unitLabel(name)));
      item.values[u].forEach((value) => {
        const cell = element("span", "atlas-heat");
        cell.style.background = heat(value, 1);
        cell.title = number(value);
        grid.append(cell);
      });
    });
    const open = openButton(item.document, item.start, item.end, item.units[0] ?? found.units[0]);
    open.dataset.testid = `atlas-match-open-${index}`;
    row.append(grid, open);
    els.matches.append(row);
  });
}

function describeMatchSource() {
  const url = readUrl();
  els.matchSource.textContent = url.input !== null && url.doc === null ? t("atlas.match.input", { input: url.input }) : "";
}

// -- the hypothesis box ---------------------------------------------------------------------------

async function rank() {
  const kind = els.kind.value;
  const text = els.query.value.trim();
  const body = {};
  if (kind === "words") body.words = text.split(/[,\s]+/).filter(Boolean);
  else if (kind === "regex") body.regex = text;
  else if (kind === "oov") body.is_oov = true;
  else body.condition = text;
  const answer = await shell.request(() => post("/score", body));
  if (answer === null) return;
  writeUrl({ kind, q: kind === "oov" ? null : text });
  drawRanked(answer);
  shell.rendered();
}

function drawRanked(found) {
  state.shown.ranked = found;
  els.ranked.hidden = false;
  const head = element("tr");
  for (const key of ["rank", "unit", "auroc", "with", "without"]) head.append(element("th", "", t(`atlas.col.${key}`)));
  els.ranked.tHead.replaceChildren(head);
  const rows = found.units.map((row, index) => {
    const tr = element("tr");
    tr.dataset.testid = `atlas-ranked-${index}`;
    tr.dataset.unit = row.unit;
    tr.dataset.auroc = String(row.auroc);
    const open = element("button", "link-button", unitLabel(row.unit));
    open.type = "button";
    open.addEventListener("click", () => showCard(row.unit));
    const cell = element("td");
    cell.append(open);
    tr.append(element("td", "", String(index + 1)), cell, element("td", "", number(row.auroc, 3)), element("td", "", number(row.mean_positive)), element("td", "", number(row.mean_negative)));
    return tr;
  });
  const caption = element("caption", "hint", t("atlas.hypothesis.count", found));
  els.ranked.querySelector("caption")?.remove();
  els.ranked.prepend(caption);
  els.ranked.tBodies[0].replaceChildren(...rows);
}

function placeholder() {
  els.query.placeholder = t(`atlas.hypothesis.placeholder.${els.kind.value}`);
  els.query.disabled = els.kind.value === "oov";
}

// -- co-clusters ----------------------------------------------------------------------------------

async function loadClusters() {
  els.clusters.replaceChildren();
  if (state.kind !== "text") {
    els.clusters.append(element("p", "hint", t("atlas.clusters.none")));
    return;
  }
  let found;
  try {
    ({ payload: found } = await request("GET", atlasPath("/clusters?clusters=3&words=30")));
  } catch (error) {
    shell.fail(error);
    return;
  }
  drawClusters(found);
}

function drawClusters(found) {
  state.shown.clusters = found;
  els.clusters.replaceChildren();
  const units = found.clusters.flatMap((cluster) => cluster.units);
  const words = found.clusters.flatMap((cluster) => cluster.words);
  const column = Object.fromEntries(found.words.map((word, index) => [word, index]));
  const extent = Math.max(...found.matrix.flat().map(Math.abs), 1e-9);
  const table = element("table", "atlas-table atlas-cluster-grid");
  const head = element("tr");
  head.append(element("th"));
  for (const word of words) head.append(element("th", "atlas-cluster-word", word));
  const body = element("tbody");
  for (const unit of units) {
    const tr = element("tr");
    const label = element("button", "link-button", String(unit + 1));
    label.type = "button";
    label.addEventListener("click", () => showCard(`${found.track}/${unit}`));
    const th = element("th");
    th.append(label);
    tr.append(th);
    for (const word of words) {
      const value = found.matrix[unit][column[word]];
      const cell = element("td", "atlas-heat");
      cell.style.background = heat(value, extent);
      cell.title = `${word}: ${number(value)}`;
      tr.append(cell);
    }
    body.append(tr);
  }
  table.append(element("thead"), body);
  table.tHead.append(head);
  els.clusters.append(element("p", "hint", t("atlas.clusters.hint", { track: unitLabel(`${found.track}/0`).replace(/,[^,]*$/, "") })), table);
}

// -- start ----------------------------------------------------------------------------------------

function chooseModel(id) {
  state.model = id;
  state.shown = {};
  els.card.hidden = true;
  els.ranked.hidden = true;
  els.matches.replaceChildren();
  const model = state.models.find((m) => m.id === id);
  state.kind = model?.input_kind ?? "text";
  document.body.dataset.model = id;
  loadStatus();
}

async function start() {
  applyStatic(document);
  applyAtlasText();
  const url = readUrl();
  els.kind.value = url.kind;
  if (url.q) els.query.value = url.q;
  if (url.doc !== null) els.matchDocument.value = url.doc;
  if (url.start !== null) els.matchStart.value = url.start;
  if (url.end !== null) els.matchEnd.value = url.end;
  placeholder();
  describeMatchSource();
  els.kind.addEventListener("change", placeholder);
  els.matchRun.addEventListener("click", () => runMatch());
  els.rank.addEventListener("click", () => rank());
  els.matchDocument.addEventListener("input", describeMatchSource);
  els.build.addEventListener("click", () => {
    state.poll += 1;
    startBuild();
  });
  els.model.addEventListener("change", () => {
    writeUrl({ model: els.model.value, unit: null, doc: null, start: null, end: null, input: null });
    chooseModel(els.model.value);
  });
  els.lang.addEventListener("click", () => setLang(lang() === "ko" ? "en" : "ko"));
  onLangChange(() => {
    applyAtlasText();
    shell.relabel();
    placeholder();
    describeMatchSource();
    if (state.status) showStatus(state.status);
    if (state.grid) drawGrid();
    const { card, matches, ranked, clusters } = state.shown;
    if (card) drawCard(card);
    if (matches) drawMatches(matches);
    if (ranked) drawRanked(ranked);
    if (clusters) drawClusters(clusters);
    els.lang.textContent = t("lang.other");
  });
  shell.relabel();
  els.lang.textContent = t("lang.other");
  const list = await shell.request(() => api.models());
  if (list === null) return;
  state.models = list.data;
  const chosen = state.models.some((m) => m.id === url.model) ? url.model : state.models[0]?.id;
  fillModelSelect(els.model, state.models, chosen);
  els.model.disabled = !state.models.length;
  if (!chosen) return;
  if (chosen !== url.model) writeUrl({ model: chosen });
  chooseModel(chosen);
}

start();
