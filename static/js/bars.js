// The current step's vectors as bars: one small panel per series (each gate, c, h), one bar per
// unit, coloured as in its heatmap. Plain HTML, not Plotly: a step moves 6 x 64 bars, and a
// Plotly restyle of that many bars takes ~60 ms where a few hundred style writes take ~1 ms.

import { colorOf } from "./plots.js";
import { fmt } from "./equations.js";

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class StepBars {
  constructor(element) {
    this.element = element;
    this.panels = [];
    this.step = null;
    this.unit = null;
  }

  update(series, view) {
    this.series = series;
    this.element.replaceChildren();
    const units = series[0].values[0]?.length ?? 0;
    this.panels = series.map((item) => this.panel(item, units));
    this.element.append(...this.panels.map((panel) => panel.root), this.axis(units));
    this.step = null;
    this.unit = null;
    this.setView(view);
    return null;
  }

  panel(item, units) {
    const root = element("div", `bar-panel series-${item.key}`);
    root.dataset.key = item.key;
    const { zmin, zmax } = item.range;
    // Where 0 sits, from the bottom (0 % for 0..1 gates, 50 % for -1..1).
    const zero = Math.min(1, Math.max(0, (0 - zmin) / (zmax - zmin))) * 100;
    const scale = element("div", "bar-scale");
    scale.append(element("span", "", fmt(zmax).replace(".000", "")), element("span", "", fmt(zmin).replace(".000", "")));
    const area = element("div", "bar-area");
    const axis = element("div", "bar-zero");
    axis.style.bottom = `${zero}%`;
    area.append(axis);
    const bars = [];
    for (let unit = 0; unit < units; unit += 1) {
      const slot = element("div", "bar-slot");
      const bar = element("div", "bar");
      slot.append(bar);
      area.append(slot);
      bars.push({ slot, bar });
    }
    root.append(element("span", "bar-symbol", item.symbol), scale, area);
    // The tooltip is written when the pointer arrives, not on every step.
    area.addEventListener("mouseover", (event) => {
      const index = bars.findIndex(({ slot }) => slot === event.target.closest(".bar-slot"));
      if (index < 0) return;
      const value = item.values[this.step - 1]?.[index];
      bars[index].slot.title = `${item.symbol} · ${index + 1}: ${fmt(value)}`;
    });
    return { root, item, bars, zero, span: zmax - zmin };
  }

  axis(units) {
    const axis = element("div", "bar-units");
    const every = units > 40 ? 16 : units > 16 ? 8 : units > 8 ? 4 : 1;
    for (let unit = 1; unit <= units; unit += 1) {
      axis.append(element("span", "", unit === 1 || unit % every === 0 ? String(unit) : ""));
    }
    return axis;
  }

  /** Heights, colours and the followed unit's outline; nothing else changes. */
  setView(view) {
    if (view.step === this.step && view.unit === this.unit) return null;
    const stepChanged = view.step !== this.step;
    this.step = view.step;
    this.unit = view.unit;
    for (const panel of this.panels) {
      const row = panel.item.values[view.step - 1] || [];
      panel.bars.forEach(({ slot, bar }, index) => {
        if (stepChanged) {
          const value = row[index] ?? 0;
          const size = (Math.abs(value) / panel.span) * 100;
          bar.style.bottom = `${value >= 0 ? panel.zero : panel.zero - size}%`;
          bar.style.height = `${size}%`;
          bar.style.backgroundColor = colorOf(value, panel.item.range);
        }
        slot.classList.toggle("selected", index + 1 === view.unit);
      });
    }
    return null;
  }
}
