// The model picker: shipped models grouped by task and language, each titled with cell and size.

import { lang, t } from "./i18n.js";

function groupKey(model) {
  if (model.source === "uploaded") return "group.uploaded";
  if (model.task === "regression") return "group.regression";
  return model.language ? `group.sentiment.${model.language}` : "group.sentiment";
}

const GROUP_ORDER = ["group.sentiment.ko", "group.sentiment.en", "group.sentiment", "group.regression", "group.uploaded"];

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

/** Fill the <select> with <optgroup>s; keeps `selected` selected. */
export function fillModelSelect(select, models, selected) {
  const groups = new Map();
  for (const model of models) {
    const key = groupKey(model);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(model);
  }
  const ordered = [...groups.keys()].sort((a, b) => GROUP_ORDER.indexOf(a) - GROUP_ORDER.indexOf(b));
  select.replaceChildren();
  for (const key of ordered) {
    const group = document.createElement("optgroup");
    group.label = t(key);
    for (const model of groups.get(key)) {
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
