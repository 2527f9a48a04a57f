// Shapes a trace payload for the views: which series a layer has, their symbols and fixed ranges.
// No gate maths here: every number comes from the API as it is.

import { t } from "./i18n.js";

/** Gate names in PyTorch's weight-block order, with the symbol PyTorch's documentation uses. */
export const GATES = {
  lstm: [
    { name: "input", symbol: "i", act: "sigmoid" },
    { name: "forget", symbol: "f", act: "sigmoid" },
    { name: "candidate", symbol: "g", act: "tanh" },
    { name: "output", symbol: "o", act: "sigmoid" },
  ],
  gru: [
    { name: "reset", symbol: "r", act: "sigmoid" },
    { name: "update", symbol: "z", act: "sigmoid" },
    { name: "candidate", symbol: "n", act: "tanh" },
  ],
  rnn: [],
};

/** A layer's own cell kind: "rnn", "lstm" or "gru" (a chain of blocks mixes them; older
 *  payloads name one kind at the top). */
export function layerKind(payload, layer) {
  return layer.kind ?? (payload.cell === "mixed" ? "rnn" : payload.cell);
}

/** A layer's own activation for h ("tanh" or "relu"; only an RNN may use relu). */
export function layerNonlinearity(payload, layer) {
  return layer.nonlinearity ?? payload.nonlinearity ?? "tanh";
}

/** Whether a GRU layer applies r after W_hn's product (PyTorch, Keras reset_after=True) or
 *  before it (Keras reset_after=False, the class notes' GRU). */
export function resetAfter(layer) {
  return layer.reset_after !== false;
}

/** True when the trace is a chain of more than one block (its layers say which). */
export function hasBlocks(payload) {
  return (payload.blocks?.length ?? 0) > 1;
}

/** The largest |value| in a steps x units matrix (nulls skipped). */
export function maxAbs(matrix) {
  let largest = 0;
  for (const row of matrix) {
    for (const value of row) {
      if (value !== null && Math.abs(value) > largest) largest = Math.abs(value);
    }
  }
  return largest;
}

function cellRange(matrix) {
  // c is unbounded: symmetric around 0, at least -1..1, rounded up to a readable bound.
  const bound = Math.max(1, Math.ceil(maxAbs(matrix) * 2) / 2);
  return { zmin: -bound, zmax: bound, kind: "diverging", label: t("range.cell", { m: bound }) };
}

const SIGMOID = () => ({ zmin: 0, zmax: 1, kind: "sequential", label: t("range.sigmoid") });
const TANH = () => ({ zmin: -1, zmax: 1, kind: "diverging", label: t("range.tanh") });

function hiddenRange(nonlinearity, matrix) {
  if (nonlinearity === "relu") {
    const top = Math.max(1, Math.ceil(maxAbs(matrix)));
    return { zmin: 0, zmax: top, kind: "sequential", label: t("range.relu") };
  }
  return TANH();
}

/**
 * The fixed colour range of any series, by one rule for the explorer and the teaching views:
 * sigmoid gates 0..1, tanh candidates -1..1, c symmetric around 0, h by the cell's activation.
 */
export function seriesRange(name, cell, matrix, nonlinearity = "tanh") {
  if (name === "cell") return cellRange(matrix);
  if (name === "hidden") return hiddenRange(nonlinearity, matrix);
  const gate = (GATES[cell] || []).find((item) => item.name === name);
  return gate && gate.act === "sigmoid" ? SIGMOID() : TANH();
}

/**
 * Every series of one layer-direction, in display order: the gates, then c (LSTM), then h.
 * Each: {key, testid, symbol, title, range, values (steps x units)}.
 */
export function layerSeries(payload, layer) {
  const cell = layerKind(payload, layer);
  const series = (GATES[cell] || [])
    .filter((gate) => layer.gates && layer.gates[gate.name])
    .map((gate) => ({
      key: gate.name,
      testid: `gate-plot-${gate.name}`,
      symbol: gate.symbol,
      title: t(gate.name === "candidate" ? `gate.candidate.${cell}` : `gate.${gate.name}`),
      range: seriesRange(gate.name, cell, layer.gates[gate.name]),
      values: layer.gates[gate.name],
    }));
  if (layer.cell) {
    series.push({
      key: "cell",
      testid: "cell-plot",
      symbol: "c",
      title: t("state.cell"),
      range: seriesRange("cell", cell, layer.cell),
      values: layer.cell,
    });
  }
  series.push({
    key: "hidden",
    testid: "hidden-plot",
    symbol: "h",
    title: t("state.hidden"),
    range: seriesRange("hidden", cell, layer.hidden, layerNonlinearity(payload, layer)),
    values: layer.hidden,
  });
  return series;
}

/** steps x units -> units x steps (Plotly's heatmap z rows are y = units); ragged cells are null. */
export function transpose(values) {
  const units = unitsOf(values);
  return Array.from({ length: units }, (_, unit) => values.map((row) => row?.[unit] ?? null));
}

/** Units of a series (columns of its steps x units matrix). */
export function unitsOf(values) {
  return values.length ? values[0].length : 0;
}

/** The layer-directions of a trace as the selector lists them (layers counted from 1); with
 *  more than one block, each says its block and kind ("Block 2 · LSTM layer 1 · forward →"). */
export function layerChoices(payload) {
  const blocks = hasBlocks(payload);
  return payload.layers.map((layer, index) => {
    const kind = layerKind(payload, layer);
    const label = layerLabel({ ...layer, kind }, blocks);
    return { index, layer: layer.layer + 1, direction: layer.direction, block: (layer.block ?? 0) + 1, kind, label };
  });
}

/** One layer-direction's name, the same on every page: "Layer 2 · forward →", or with more than
 *  one block "Block 2 · GRU layer 1 · forward →". `layer` holds layer, direction, and for a chain
 *  block, block_layer and kind (as trace payloads and the teaching views' `layers` list them). */
export function layerLabel(layer, blocks) {
  const direction = t(`direction.${layer.direction}`);
  if (!blocks) return t("layer.option", { n: layer.layer + 1, direction });
  return t("layer.option.block", {
    b: (layer.block ?? 0) + 1,
    kind: String(layer.kind).toUpperCase(),
    n: (layer.block_layer ?? layer.layer) + 1,
    direction,
  });
}

/** Index into payload.layers for a 1-based layer and a direction; 0 when absent. */
export function findLayer(payload, layerNumber, direction) {
  const index = payload.layers.findIndex(
    (layer) => layer.layer + 1 === layerNumber && layer.direction === direction,
  );
  return index >= 0 ? index : 0;
}

/** 1..n as an array (Plotly axis values: steps and units are shown counted from 1). */
export function oneTo(n) {
  return Array.from({ length: n }, (_, index) => index + 1);
}

/** The first step (from 1) that is not padding: where the player starts after a run. */
export function firstRealStep(payload) {
  const index = (payload.token_kinds ?? []).findIndex((kind) => kind !== "pad");
  return index === -1 ? 1 : index + 1;
}

/**
 * The columns a heatmap draws: one per step, or, with `collapse`, every run of pad steps as one
 * column (showing its last step: the state the pads hand on). Each column: {first, last, pad}
 * (steps from 1); `columnOf[step - 1]` is a step's column (from 1). Steps stay real steps.
 */
export function stepColumns(kinds, steps, collapse) {
  const columns = [];
  for (let step = 1; step <= steps; step += 1) {
    const pad = kinds?.[step - 1] === "pad";
    const last = columns[columns.length - 1];
    if (collapse && pad && last?.pad) last.last = step;
    else columns.push({ first: step, last: step, pad });
  }
  const columnOf = [];
  columns.forEach((column, index) => {
    for (let step = column.first; step <= column.last; step += 1) columnOf.push(index + 1);
  });
  return { columns, columnOf };
}
