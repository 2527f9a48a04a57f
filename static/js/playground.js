// The playground (issue 14): choose a task and a network, play / pause / step its training, and
// watch the loss, accuracy, gradient norm and the probe's gates, cell and hidden states live.
// Everything chosen is in the URL, so a link reproduces the run (the same seed trains the same
// weights). Playing listens to the run's live channel (server-sent events); pausing closes it,
// which stops the training on the server. A generation counter keeps a stale stream or answer
// from drawing after pause or reset. Runs on the page shell (../shell.js) for errors and state.

import { ApiError, api, getToken } from "./api.js";
import { lang, setLang } from "./i18n.js";
import { PageShell } from "./shell.js";

const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
const BASE = "/playground";
const COLORS = { rnn: "#d62728", lstm: "#1f77b4", gru: "#2ca02c" };
const EPOCH_SEQUENCES = 2048; // one "epoch" of the endless generator: this many sequences

const TEXT = {
  en: {
    title: "Playground: train an RNN, LSTM or GRU and watch its gates learn",
    task: "Task", size: "Size", cell: "Cell", race: "All three racing", hidden: "Hidden units",
    layers: "Layers", optimizer: "Optimizer", lr: "Learning rate", batch: "Batch", seed: "Seed",
    play: "Play", pause: "Pause", step1: "Step", epoch: "Epoch", reset: "Reset",
    open: "Open in the explorer", checkpoint: "Checkpoint", probe: "Probe sequence", show: "Show",
    status: "step {step} · {status}", queued: "waiting for a training slot: #{position}",
    loss: "Loss (solid: test, dotted: train; grey: baseline)", accuracy: "Accuracy (test)",
    gradnorm: "Gradient norm", at: "step {step}", live: "live", na: "n/a", pass: "pass", fail: "fail",
    baseline: "baseline",
  },
  ko: {
    title: "놀이터: RNN, LSTM, GRU를 학습시키며 게이트가 배우는 모습을 봅니다",
    task: "과제", size: "크기", cell: "셀", race: "셋 모두 경주", hidden: "은닉 유닛",
    layers: "층", optimizer: "최적화기", lr: "학습률", batch: "배치", seed: "시드",
    play: "재생", pause: "일시정지", step1: "한 단계", epoch: "한 에포크", reset: "처음부터",
    open: "탐색기에서 열기", checkpoint: "체크포인트", probe: "관찰 시퀀스", show: "보기",
    status: "{step}단계 · {status}", queued: "학습 순서를 기다리는 중: {position}번째",
    loss: "손실 (실선: 시험, 점선: 학습, 회색: 기준선)", accuracy: "정확도 (시험)",
    gradnorm: "기울기 노름", at: "{step}단계", live: "실시간", na: "해당 없음", pass: "통과", fail: "실패",
    baseline: "기준선",
  },
};
const tt = (key, params = {}) =>
  (TEXT[lang()]?.[key] ?? TEXT.en[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));

const FIELDS = [
  // [url key, element id, run config key, parse]
  ["task", "pg-task", "task", String],
  ["size", "pg-size", "size", Number],
  ["cell", "pg-cell", "cell", String],
  ["hidden", "pg-hidden", "hidden", Number],
  ["layers", "pg-layers", "layers", Number],
  ["opt", "pg-opt", "optimizer", String],
  ["lr", "pg-lr", "learning_rate", Number],
  ["batch", "pg-batch", "batch_size", Number],
  ["seed", "pg-seed", "seed", Number],
];
const DEFAULTS = { task: "latch", cell: "lstm", hidden: "8", layers: "1", opt: "adam", lr: "0.01", batch: "32", seed: "0" };

const state = { tasks: [], run: null, history: {}, generation: 0, source: null, checkpoint: null, playing: false };
const shell = new PageShell({ input: $("pg-probe"), run: $("pg-trace"), kind: () => "text", submit: () => showCheckpoint(), labels: { idle: "show", busy: "show" } });

function task() {
  return state.tasks.find((item) => item.name === $("pg-task").value) || state.tasks[0];
}

function readUrl() {
  const query = new URLSearchParams(window.location.search);
  for (const [key, id] of FIELDS) {
    const value = query.get(key) ?? DEFAULTS[key];
    if (value !== undefined && value !== null) $(id).value = value;
  }
  if (!query.get("size")) $("pg-size").value = task().size.default;
}

function writeUrl() {
  const query = new URLSearchParams();
  for (const [key, id] of FIELDS) query.set(key, $(id).value);
  const search = `?${query.toString()}`;
  if (search !== window.location.search) window.history.replaceState(null, "", search);
}

function config() {
  const body = {};
  for (const [, id, name, parse] of FIELDS) body[name] = parse($(id).value);
  return body;
}

function setPlaying(playing) {
  state.playing = playing;
  document.body.dataset.playing = String(playing);
  $("pg-play").textContent = tt(playing ? "pause" : "play");
  $("pg-play").setAttribute("aria-pressed", String(playing));
}

function showStatus(extra = null) {
  const run = state.run;
  if (!run) return;
  document.body.dataset.step = String(run.step);
  $("pg-status").textContent = extra ?? tt("status", { step: run.step, status: run.status });
  const message = $("pg-message");
  message.hidden = !run.message;
  message.textContent = run.message || "";
  message.dataset.status = run.status;
}

async function call(method, path, body) {
  try {
    return await api.request(method, path, body);
  } catch (error) {
    if (error instanceof ApiError) shell.fail(error);
    else throw error;
    return null;
  }
}

api.request = async (method, path, body) => {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return {};
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, payload?.detail ?? response.statusText);
  return payload;
};

// -- the run ----------------------------------------------------------------------------------

async function reset() {
  pause();
  state.checkpoint = null;
  const generation = ++state.generation;
  writeUrl();
  shell.clearError();
  $("pg-explain").textContent = task().explain[lang()] || task().explain.en;
  $("pg-probe").value = "";
  if (state.run) call("DELETE", `${BASE}/runs/${state.run.id}`);
  const run = await call("POST", `${BASE}/runs`, config());
  if (!run || generation !== state.generation) return;
  state.run = run;
  state.history = run.history;
  $("pg-probe").value = run.probe;
  document.body.dataset.run = run.id;
  showStatus();
  drawCurves();
  drawChecks();
  updateSlider(true);
  await showCheckpoint(-1);
}

function absorb(payload) {
  for (const [cell, rows] of Object.entries(payload.history)) {
    state.history[cell] = [...(state.history[cell] || []), ...rows];
  }
  state.run = { ...payload, history: state.history };
  showStatus();
  drawCurves();
  drawChecks();
  updateSlider(state.checkpoint === null);
  if (state.checkpoint === null && payload.probe_traces) {
    drawHeatmaps(payload.probe_traces, payload.step);
    document.body.dataset.checkpoint = "live"; // the latest weights, not a stored checkpoint
  }
  shell.rendered();
}

async function trainSteps(steps) {
  if (!state.run) return;
  pause();
  const generation = state.generation;
  const since = lastStep();
  const payload = await call("POST", `${BASE}/runs/${state.run.id}/train?since=${since}`, { steps });
  if (!payload || generation !== state.generation) return;
  absorb(payload);
}

function lastStep() {
  const rows = Object.values(state.history)[0] || [];
  return rows.length ? rows[rows.length - 1].step : -1;
}

function play() {
  if (!state.run || state.run.status !== "ready") return;
  const generation = ++state.generation;
  setPlaying(true);
  // An EventSource cannot send the Authorization header: with a token, train in short POSTs.
  if (getToken()) {
    pollTraining(generation);
    return;
  }
  const source = new EventSource(`/api/v1${BASE}/runs/${state.run.id}/live`);
  state.source = source;
  let updates = 0;
  source.addEventListener("update", (event) => {
    if (generation !== state.generation) return;
    updates += 1;
    const payload = JSON.parse(event.data);
    payload.history = Object.fromEntries(Object.entries(payload.history).map(([cell, rows]) => [cell, rows.filter((row) => row.step > lastStep())]));
    absorb(payload);
  });
  source.addEventListener("queued", (event) => {
    if (generation === state.generation) showStatus(tt("queued", JSON.parse(event.data)));
  });
  source.addEventListener("end", () => {
    if (generation === state.generation) pause();
  });
  source.onerror = () => {
    if (generation !== state.generation) return;
    // The stream failed (a 401 without a token, a proxy that refuses event streams, a dropped
    // connection): keep playing with POST .../train, which reports any real error itself.
    source.close();
    state.source = null;
    document.body.dataset.live = updates ? "reconnect" : "poll";
    pollTraining(generation);
  };
  document.body.dataset.live = "stream";
}

// Training by repeated POST .../train calls, each sized to take about LIVE_SECONDS.
const LIVE_SECONDS = 0.4;
async function pollTraining(generation) {
  if (!document.body.dataset.live || document.body.dataset.live === "stream") document.body.dataset.live = "poll";
  let steps = 10;
  while (generation === state.generation && state.run) {
    const started = performance.now();
    const payload = await call("POST", `${BASE}/runs/${state.run.id}/train?since=${lastStep()}`, { steps });
    if (generation !== state.generation) return;
    if (!payload) {
      pause();
      return;
    }
    absorb(payload);
    if (payload.stopped === "paused" || payload.stopped === "limit") {
      pause();
      return;
    }
    const seconds = Math.max(0.01, (performance.now() - started) / 1000);
    steps = Math.max(1, Math.min(2000, Math.round((steps * LIVE_SECONDS) / seconds)));
  }
}

function pause() {
  state.generation += 1;
  if (state.source) state.source.close();
  state.source = null;
  setPlaying(false);
}

// -- drawing ----------------------------------------------------------------------------------

const LAYOUT = { margin: { l: 50, r: 10, t: 30, b: 35 }, height: 240, legend: { orientation: "h" } };

function drawCurves() {
  const loss = [];
  const accuracy = [];
  const norm = [];
  for (const [cell, rows] of Object.entries(state.history)) {
    const steps = rows.map((row) => row.step);
    const color = COLORS[cell];
    loss.push({ x: steps, y: rows.map((row) => row.test_loss), name: `${cell} test`, line: { color } });
    loss.push({ x: steps, y: rows.map((row) => row.train_loss), name: `${cell} train`, line: { color, dash: "dot" } });
    accuracy.push({ x: steps, y: rows.map((row) => row.test_accuracy), name: cell, line: { color } });
    norm.push({ x: steps, y: rows.map((row) => row.gradient_norm), name: cell, line: { color } });
  }
  const base = state.run.baseline;
  const last = Math.max(1, state.run.step);
  loss.push({ x: [0, last], y: [base.loss, base.loss], name: tt("baseline"), line: { color: "#999", dash: "dash" } });
  accuracy.push({ x: [0, last], y: [base.accuracy, base.accuracy], name: tt("baseline"), line: { color: "#999", dash: "dash" } });
  Plotly.react($("pg-loss"), loss, { ...LAYOUT, title: { text: tt("loss"), font: { size: 13 } }, yaxis: { type: "log" } });
  Plotly.react($("pg-accuracy"), accuracy, { ...LAYOUT, title: { text: tt("accuracy"), font: { size: 13 } }, yaxis: { range: [0, 1.02] } });
  Plotly.react($("pg-gradnorm"), norm, { ...LAYOUT, title: { text: tt("gradnorm"), font: { size: 13 } }, yaxis: { type: "log" } });
}

function drawChecks() {
  const list = $("pg-checks");
  list.replaceChildren();
  for (const [cell, checks] of Object.entries(state.run.checks || {})) {
    for (const check of checks) {
      const item = document.createElement("li");
      const verdict = check.passed === null ? tt("na") : tt(check.passed ? "pass" : "fail");
      const measured = check.measured === null ? "" : ` = ${check.measured.toFixed(3)} (> / <: ${check.expected})`;
      item.textContent = `${cell.toUpperCase()} · ${check.text[lang()] || check.text.en} · ${check.where}${measured}: ${verdict}`;
      item.dataset.passed = String(check.passed);
      list.append(item);
    }
  }
}

function updateSlider(followLatest) {
  const slider = $("pg-checkpoint");
  const points = state.run.checkpoints;
  slider.max = String(points.length - 1);
  if (followLatest) slider.value = String(points.length - 1);
  const index = Number(slider.value);
  $("pg-checkpoint-label").textContent = state.checkpoint === null ? tt("live") : tt("at", { step: points[index]?.step ?? 0 });
}

function drawHeatmaps(traces, step) {
  const box = $("pg-heatmaps");
  const entries = Object.entries(traces);
  const wanted = [];
  for (const [cell, trace] of entries) {
    for (const layer of trace.layers) {
      const series = { ...layer.gates, ...(layer.cell ? { cell: layer.cell } : {}), hidden: layer.hidden };
      for (const [name, values] of Object.entries(series)) wanted.push({ key: `${cell}-${layer.layer}-${name}`, cell, layer: layer.layer, name, values, tokens: trace.tokens });
    }
  }
  const keys = wanted.map((item) => item.key).join("|");
  if (box.dataset.keys !== keys) {
    box.replaceChildren();
    box.dataset.keys = keys;
    for (const item of wanted) {
      const div = document.createElement("div");
      div.className = "plot heat";
      div.dataset.testid = `pg-heat-${item.key}`;
      div.setAttribute("data-testid", `pg-heat-${item.key}`);
      box.append(div);
    }
  }
  for (const item of wanted) {
    const div = box.querySelector(`[data-testid="pg-heat-${item.key}"]`);
    const z = item.values[0].map((_, unit) => item.values.map((row) => row[unit])); // units x steps
    const sigmoid = ["input", "forget", "output", "reset", "update"].includes(item.name);
    Plotly.react(div, [{ type: "heatmap", z, x: item.tokens.map((token, t) => `${t + 1}:${token}`), colorscale: sigmoid ? "Viridis" : "RdBu", zmin: sigmoid ? 0 : -1, zmax: 1 }],
      { margin: { l: 30, r: 10, t: 24, b: 30 }, height: 150, title: { text: `${item.cell.toUpperCase()} L${item.layer} ${item.name}`, font: { size: 12 } }, xaxis: { showticklabels: item.tokens.length <= 40 } });
  }
  document.body.dataset.traceStep = String(step);
}

async function showCheckpoint(index = null) {
  if (!state.run) return;
  const slider = $("pg-checkpoint");
  const chosen = index ?? Number(slider.value);
  const input = $("pg-probe").value;
  const query = new URLSearchParams({ input });
  const payload = await shell.request(() => api.request("GET", `${BASE}/runs/${state.run.id}/checkpoints/${chosen}/trace?${query}`));
  if (!payload) return;
  document.body.dataset.checkpoint = String(payload.checkpoint);
  drawHeatmaps(payload.traces, payload.step);
  shell.rendered();
}

// -- wiring -----------------------------------------------------------------------------------

function applyText() {
  document.documentElement.lang = lang();
  document.querySelectorAll("[data-pg]").forEach((el) => {
    el.textContent = tt(el.dataset.pg);
  });
  $("lang-toggle").textContent = lang() === "en" ? "한국어" : "English";
  setPlaying(state.playing);
  if (state.tasks.length) $("pg-explain").textContent = task().explain[lang()] || task().explain.en;
  if (state.run) {
    showStatus();
    drawCurves();
    drawChecks();
  }
}

async function boot() {
  const payload = await call("GET", `${BASE}/tasks`);
  if (!payload) return;
  state.tasks = payload.tasks;
  const select = $("pg-task");
  for (const item of state.tasks) select.append(new Option(item.name, item.name));
  readUrl();
  applyText();
  for (const [, id] of FIELDS) {
    $(id).addEventListener("change", () => {
      if (id === "pg-task") $("pg-size").value = task().size.default;
      state.checkpoint = null;
      reset();
    });
  }
  $("pg-play").addEventListener("click", () => (state.playing ? pause() : play()));
  $("pg-step").addEventListener("click", () => trainSteps(1));
  $("pg-epoch").addEventListener("click", () => trainSteps(Math.ceil(EPOCH_SEQUENCES / Number($("pg-batch").value || 32))));
  $("pg-reset").addEventListener("click", () => reset());
  $("pg-checkpoint").addEventListener("input", () => {
    state.checkpoint = Number($("pg-checkpoint").value);
    updateSlider(false);
    showCheckpoint();
  });
  $("pg-trace").addEventListener("click", () => showCheckpoint());
  $("pg-save").addEventListener("click", async () => {
    pause();
    const cell = $("pg-cell").value === "all" ? "lstm" : undefined;
    const saved = await call("POST", `${BASE}/runs/${state.run.id}/save`, cell ? { cell } : {});
    if (saved) window.location.assign(`${saved.url}&input=${encodeURIComponent($("pg-probe").value)}`);
  });
  $("lang-toggle").addEventListener("click", () => {
    setLang(lang() === "en" ? "ko" : "en");
    applyText();
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return;
    if (event.key === " " || event.key === "k") {
      event.preventDefault();
      state.playing ? pause() : play();
    } else if (event.key === "." || event.key === "ArrowRight") {
      trainSteps(1);
    }
  });
  await reset();
}

boot();
