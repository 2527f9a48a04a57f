// The model picker: shipped models grouped by task (sentiment, classification, next token,
// regression) and what they read (Korean or English text, numbers), each titled with cell and size.

import { lang, t } from "./i18n.js";

const TASK_ORDER = ["sentiment", "classification", "next-token", "regression"];
const INPUT_ORDER = ["ko", "en", "text", "numbers"];

/** What a model reads, for its group: "ko" or "en" (text in that language), "text" or "numbers". */
function inputOf(model) {
  if (model.input_kind === "numbers") return "numbers";
  return ["ko", "en"].includes(model.language) ? model.language : "text";
}

/** The group a model is listed under: shipped ones by task and input, uploaded ones together. */
export function modelGroup(model) {
  if (model.source === "uploaded") return { key: "uploaded", order: [TASK_ORDER.length, 0] };
  const task = TASK_ORDER.includes(model.task) ? model.task : "sentiment";
  const input = inputOf(model);
  return { key: `${task}.${input}`, task, input, order: [TASK_ORDER.indexOf(task), INPUT_ORDER.indexOf(input)] };
}

/** "Sentiment · Korean text", "분류 · 영어 문장", "Uploaded". */
export function groupLabel(group) {
  if (group.key === "uploaded") return t("group.uploaded");
  return `${t(`task.${group.task}`)} · ${t(`group.input.${group.input}`)}`;
}

/**
 * The model's words in the page's language: title, description, features and labels from its
 * config's `translations` when they are there, else its own.
 */
export function localized(model) {
  const words = model?.translations?.[lang()] || {};
  const own = { title: model?.title, description: model?.description, features: model?.features, labels: model?.labels };
  return Object.fromEntries(Object.entries(own).map(([key, value]) => [key, words[key] ?? value]));
}

/** {label: its name in the page's language} for the model's class labels ({} when untranslated). */
export function labelNames(model) {
  const names = localized(model).labels;
  if (!model?.labels || names === model.labels) return {};
  return Object.fromEntries(model.labels.map((label, index) => [label, names[index]]));
}

/** "Korean movie reviews · GRU · 64 units" (layers and direction when there is more than one). */
export function modelLabel(model) {
  const title = localized(model).title;
  if ((model.blocks?.length ?? 0) > 1) return `${title} · ${chainLabel(model.blocks)}`;
  // Shipped titles already say cell and size ("… · GRU, 32 units"); others get them added.
  if (title.toLowerCase().includes(model.cell.toLowerCase())) {
    const bidirectional = model.bidirectional && !/bidirectional|양방향/i.test(title);
    return bidirectional ? `${title} · ${t("model.bidirectional")}` : title;
  }
  const size =
    model.num_layers > 1
      ? t("model.size", { layers: model.num_layers, units: model.hidden_size })
      : t("model.size1", { units: model.hidden_size });
  const parts = [title, model.cell.toUpperCase(), size];
  if (model.bidirectional) parts.push(t("model.bidirectional"));
  return parts.join(" · ");
}

/** A chain's blocks in reading order: "BiLSTM(5) → GRU(3)", "GRU(4) → LSTM(3)×2". */
export function chainLabel(blocks) {
  return blocks
    .map((block) => {
      const name = `${block.bidirectional ? "Bi" : ""}${block.cell.toUpperCase()}(${block.units})`;
      return block.layers > 1 ? `${name}×${block.layers}` : name;
    })
    .join(" → ");
}

/** Fill the <select> with <optgroup>s; keeps `selected` selected. */
export function fillModelSelect(select, models, selected) {
  const groups = new Map();
  for (const model of models) {
    const group = modelGroup(model);
    if (!groups.has(group.key)) groups.set(group.key, { ...group, models: [] });
    groups.get(group.key).models.push(model);
  }
  const byOrder = (a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1];
  select.replaceChildren();
  for (const found of [...groups.values()].sort(byOrder)) {
    const group = document.createElement("optgroup");
    group.label = groupLabel(found);
    group.dataset.group = found.key;
    for (const model of found.models) {
      const option = document.createElement("option");
      option.value = model.id;
      option.textContent = modelLabel(model);
      option.selected = model.id === selected;
      group.append(option);
    }
    select.append(group);
  }
}

/** The hint under the input box: language for text, feature names and seq_length for numbers. */
export function inputHint(model) {
  if (model.input_kind === "numbers") {
    const features = localized(model).features || [];
    return t("input.hint.numbers", {
      count: features.length,
      features: features.join(", "),
      seq: model.seq_length ?? "?",
    });
  }
  return t("input.hint.text", { language: t(`language.${model.language || "en"}`) });
}
