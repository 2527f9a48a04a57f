// The cell's equations as PyTorch computes them, with the selected unit's numbers at the current
// step substituted in. Every number is the API's value (shown rounded to 3 decimals); the only
// arithmetic here re-adds the right-hand side to show that both sides agree.

import { t } from "./i18n.js";
import { layerKind, layerNonlinearity, resetAfter } from "./trace-data.js";

const TOLERANCE = 0.0015; // 3-decimal display rounding plus the API's own rounding

/** 3 decimals, typographic minus, no "-0.000". */
export function fmt(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const rounded = Math.round(value * 1000) / 1000;
  const text = (Object.is(rounded, -0) ? 0 : rounded).toFixed(3);
  return text.replace("-", "−");
}

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

/** A variable with subscript: v("c", "t−1") -> c<sub>t−1</sub>. */
const v = (name, sub = "t") => `<var>${name}</var><sub>${sub}</sub>`;
/** A substituted number, tagged with the variable it stands for. */
const n = (key, value) => `<span class="num" data-var="${key}">${fmt(value)}</span>`;

function at(matrix, step, unit) {
  const row = matrix?.[step];
  return row === undefined || row === null ? null : row[unit] ?? null;
}

/** What one equation panel shows: numbers for a layer-direction at a step and unit (0-based). */
export function equationValues(payload, layer, step, unit) {
  const backward = layer.direction === "backward";
  const prevStep = backward ? step + 1 : step - 1;
  const initial = prevStep < 0 || prevStep >= payload.steps;
  const prev = (matrix) => (initial ? 0 : at(matrix, prevStep, unit));
  const gates = layer.gates || {};
  const values = {};
  const kind = layerKind(payload, layer);
  if (kind === "lstm") {
    Object.assign(values, {
      i: at(gates.input, step, unit),
      f: at(gates.forget, step, unit),
      g: at(gates.candidate, step, unit),
      o: at(gates.output, step, unit),
      c: at(layer.cell, step, unit),
      c_prev: prev(layer.cell),
    });
  } else if (kind === "gru") {
    Object.assign(values, {
      r: at(gates.reset, step, unit),
      z: at(gates.update, step, unit),
      n: at(gates.candidate, step, unit),
    });
  }
  values.h = at(layer.hidden, step, unit);
  values.h_prev = prev(layer.hidden);
  return { values, backward, prevStep, initial };
}

function check(lhs, rhs) {
  if (lhs === null || rhs === null || Number.isNaN(rhs)) return "";
  const difference = Math.abs(lhs - rhs);
  if (difference <= TOLERANCE) {
    return `<span class="check ok" title="${escapeHtml(t("equation.checks"))}">✓ ${fmt(rhs)}</span>`;
  }
  return `<span class="check off">≠ ${fmt(rhs)} (${escapeHtml(t("equation.mismatch", { d: fmt(difference) }))})</span>`;
}

/** Plain text with _t, _{t−1}, _hn written as subscripts (after escaping). */
const subs = (text) => escapeHtml(text).replace(/_\{?(t−1|t|hn|in)\}?/g, "<sub>$1</sub>");

function line(symbolic, numeric = "") {
  return `<div class="eq"><div class="eq-symbolic">${symbolic}</div>${
    numeric ? `<div class="eq-numeric">${numeric}</div>` : ""
  }</div>`;
}

/** σ(W_i? x_t + b_i? + W_h? h_{t-1} + b_h?) with PyTorch's weight names for gate letter `g`. */
function affine(g, prev) {
  return `W<sub>i${g}</sub> ${v("x")} + b<sub>i${g}</sub> + W<sub>h${g}</sub> ${v("h", prev)} + b<sub>h${g}</sub>`;
}

function lstm(values, prev, payload, projected) {
  const { i, f, g, o, c, h } = values;
  const cRhs = f * values.c_prev + i * g;
  const tanhC = c === null ? null : Math.tanh(c);
  const hRhs = o * tanhC;
  return [
    line(`${v("i")} = σ(${affine("i", prev)})`, `= ${n("i", i)}`),
    line(`${v("f")} = σ(${affine("f", prev)})`, `= ${n("f", f)}`),
    line(`${v("g")} = tanh(${affine("g", prev)})`, `= ${n("g", g)}`),
    line(`${v("o")} = σ(${affine("o", prev)})`, `= ${n("o", o)}`),
    line(
      `${v("c")} = ${v("f")} ⊙ ${v("c", prev)} + ${v("i")} ⊙ ${v("g")}`,
      `${n("c", c)} = ${n("f", f)} × ${n("c_prev", values.c_prev)} + ${n("i", i)} × ${n("g", g)} ${check(c, cRhs)}`,
    ),
    projected
      ? `<p class="eq-note">${escapeHtml(t("equation.proj"))}</p>`
      : line(
          `${v("h")} = ${v("o")} ⊙ tanh(${v("c")})`,
          `${n("h", h)} = ${n("o", o)} × tanh(${n("c", c)}) = ${n("o", o)} × ${n("tanh_c", tanhC)} ${check(h, hRhs)}`,
        ),
  ].join("");
}

/** The candidate's line: r applied after W_hn's product (PyTorch's nn.GRU), or before it (Keras
 *  reset_after=False, the class notes), where this unit's entry of r ⊙ h_{t−1} is shown and checked. */
function candidate(values, prev, after) {
  const { r, n: cand } = values;
  if (after) {
    const reset = `r<sub>t</sub> ⊙ (W<sub>hn</sub> ${v("h", prev)} + b<sub>hn</sub>)`;
    return line(`${v("n")} = tanh(W<sub>in</sub> ${v("x")} + b<sub>in</sub> + ${reset})`, `= ${n("n", cand)}`);
  }
  const reset = `W<sub>hn</sub> (${v("r")} ⊙ ${v("h", prev)}) + b<sub>hn</sub>`;
  const gated = r === null ? null : r * values.h_prev;
  return [
    line(`${v("n")} = tanh(W<sub>in</sub> ${v("x")} + b<sub>in</sub> + ${reset})`, `= ${n("n", cand)}`),
    line(
      `(${v("r")} ⊙ ${v("h", prev)})<sub>k</sub>`,
      `= ${n("r", r)} × ${n("h_prev", values.h_prev)} = ${n("r_h", gated)}`,
    ),
    `<p class="eq-note" data-testid="gru-reset-before">${subs(t("gru.reset_before"))}</p>`,
  ].join("");
}

function gru(values, prev, payload, projected, layer) {
  const { r, z, n: cand, h } = values;
  const hPrev = values.h_prev;
  const hRhs = (1 - z) * cand + z * hPrev;
  const notesZ = z === null ? null : 1 - z;
  const notesRhs = (1 - notesZ) * hPrev + notesZ * cand;
  const after = resetAfter(layer);
  return [
    line(`${v("r")} = σ(${affine("r", prev)})`, `= ${n("r", r)}`),
    line(`${v("z")} = σ(${affine("z", prev)})`, `= ${n("z", z)}`),
    candidate(values, prev, after),
    line(
      `${v("h")} = (1 − ${v("z")}) ⊙ ${v("n")} + ${v("z")} ⊙ ${v("h", prev)}`,
      `${n("h", h)} = (1 − ${n("z", z)}) × ${n("n", cand)} + ${n("z", z)} × ${n("h_prev", hPrev)} ${check(h, hRhs)}`,
    ),
    `<section class="notes-box" data-testid="gru-notes">
      <h4>${escapeHtml(t("gru.notes.title"))}</h4>
      <p>${subs(t("gru.notes.final"))}</p>
      <p>${subs(t("gru.notes.numbers", { z: fmt(z), zn: fmt(notesZ) }))}</p>
      ${line(
        `${v("h")} = (1 − ${v("z")}) ⊙ ${v("h", prev)} + ${v("z")} ⊙ ${v("h̃")}`,
        `${n("h", h)} = (1 − ${n("notes_z", notesZ)}) × ${n("h_prev", hPrev)} + ${n("notes_z", notesZ)} × ${n("n", cand)} ${check(h, notesRhs)}`,
      )}
      <p class="eq-note">${subs(t(after ? "gru.notes.reset" : "gru.notes.reset.same"))}</p>
    </section>`,
  ].join("");
}

function rnn(values, prev, payload, projected, layer) {
  const act = layerNonlinearity(payload, layer) === "relu" ? "relu" : "tanh";
  return [
    line(
      `${v("h")} = ${act}(W<sub>ih</sub> ${v("x")} + b<sub>ih</sub> + W<sub>hh</sub> ${v("h", prev)} + b<sub>hh</sub>)`,
      `= ${n("h", values.h)}`,
    ),
    act === "relu" ? `<p class="eq-note">${escapeHtml(t("equation.relu"))}</p>` : "",
  ].join("");
}

function previousNote(shown, result, kind) {
  const names = kind === "lstm" ? [["c", "c_prev"], ["h", "h_prev"]] : [["h", "h_prev"]];
  const parts = names.map(([name, key]) => `${v(name, shown)} = ${n(key, result.values[key])}`).join(", ");
  const where = result.initial
    ? t("equation.initial")
    : t(`equation.prev.${result.backward ? "backward" : "forward"}`, { t: result.prevStep + 1 });
  return `<p class="eq-prev">${parts} <span class="eq-where">(${escapeHtml(where)})</span></p>`;
}

export class EquationPanel {
  constructor(element, title) {
    this.element = element;
    this.title = title;
  }

  /** step and unit count from 1. */
  update(payload, layer, step, unit) {
    const result = equationValues(payload, layer, step - 1, unit - 1);
    const prev = result.backward ? "t+1" : "t−1";
    const panel = this.element;
    panel.dataset.values = JSON.stringify(result.values);
    panel.dataset.step = String(step);
    panel.dataset.unit = String(unit);
    panel.dataset.layer = String(layer.layer + 1);
    panel.dataset.direction = layer.direction;
    const kind = layerKind(payload, layer);
    panel.dataset.cell = kind;
    panel.dataset.block = String((layer.block ?? 0) + 1);
    if (kind === "gru") panel.dataset.resetAfter = String(resetAfter(layer));
    else delete panel.dataset.resetAfter;
    this.title.textContent = t("equation.title", { t: step, k: unit });
    // With proj_size, h is narrower than c: h_t = W_hr (o_t ⊙ tanh(c_t)) mixes the units.
    const projected = Boolean(layer.cell && layer.cell[0] && layer.hidden[0] && layer.cell[0].length !== layer.hidden[0].length);
    const present = kind === "lstm" ? result.values.c : result.values.h;
    if (present === null) {
      panel.innerHTML = `<p class="eq-note">${escapeHtml(t("equation.absent"))}</p>`;
      return;
    }
    const body = { lstm, gru, rnn }[kind](result.values, prev, payload, projected, layer);
    const caption = kind === "gru" && !resetAfter(layer) ? "equation.reset_before" : "equation.pytorch";
    panel.innerHTML = `<p class="eq-caption">${escapeHtml(t(caption))}</p>${body}${previousNote(prev, result, kind)}`;
  }
}
