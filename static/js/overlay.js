// Markers over a Plotly figure as plain positioned <div>s (the current step, the followed unit).
// Moving a Plotly shape with relayout re-runs the figure's calc (about 45 ms per heatmap); moving
// a div costs a style write, so a step change stays far below one frame. The geometry comes from
// the margins and axis ranges the view itself gave Plotly, not from Plotly's internals.

export class Overlay {
  /** plot: the Plotly element, inside a position: relative wrapper that holds the overlay. */
  constructor(plot) {
    this.plot = plot;
    this.layer = document.createElement("div");
    this.layer.className = "overlay";
    this.layer.setAttribute("aria-hidden", "true");
    plot.parentElement.append(this.layer);
    this.items = new Map();
    this.frameSet = false;
    this.width = 0;
    new ResizeObserver(() => {
      this.width = this.plot.clientWidth;
      this.redraw();
    }).observe(plot);
  }

  /** The figure's layout: margin {l, r, t, b}, height, x range [left, right], y range [bottom, top]. */
  frame({ margin, height, x, y }) {
    Object.assign(this, { margin, height, xRange: x, yRange: y, frameSet: true });
    this.width = this.plot.clientWidth;
    this.redraw();
  }

  px(value) {
    const { l, r } = this.margin;
    const [x0, x1] = this.xRange;
    return l + ((value - x0) / (x1 - x0)) * (this.width - l - r);
  }

  py(value) {
    const { t, b } = this.margin;
    const [bottom, top] = this.yRange;
    return t + ((top - value) / (top - bottom)) * (this.height - t - b);
  }

  /**
   * A rectangle in data coordinates; a null pair spans the whole plot area on that axis.
   * `data` goes on the element as data-* attributes (tests read where a marker is).
   */
  rect(name, className, { x = null, y = null }, data = {}) {
    this.place(name, className, () => {
      const { l, r, t, b } = this.margin;
      const [left, right] = x ? [this.px(x[0]), this.px(x[1])] : [l, this.width - r];
      const [top, bottom] = y ? [this.py(y[0]), this.py(y[1])].sort((p, q) => p - q) : [t, this.height - b];
      return { left, top, width: right - left, height: bottom - top };
    }, data);
  }

  /** A small element centred on a data point (x may be "right" for just right of the plot). */
  point(name, className, { x, y }, data = {}) {
    this.place(name, className, () => ({
      left: x === "right" ? this.width - this.margin.r : this.px(x),
      top: this.py(y),
    }), data);
  }

  place(name, className, geometry, data) {
    let item = this.items.get(name);
    if (!item) {
      const element = document.createElement("div");
      element.className = className;
      this.layer.append(element);
      item = { element };
      this.items.set(name, item);
    }
    item.geometry = geometry;
    Object.assign(item.element.dataset, data);
    if (this.frameSet) this.apply(item);
  }

  apply(item) {
    const box = item.geometry();
    const style = item.element.style;
    style.transform = `translate(${box.left.toFixed(1)}px, ${box.top.toFixed(1)}px)`;
    if (box.width !== undefined) style.width = `${Math.max(0, box.width).toFixed(1)}px`;
    if (box.height !== undefined) style.height = `${Math.max(0, box.height).toFixed(1)}px`;
  }

  redraw() {
    if (!this.frameSet || !this.width) return;
    this.items.forEach((item) => this.apply(item));
  }

  hide(name) {
    const item = this.items.get(name);
    if (item) {
      item.element.remove();
      this.items.delete(name);
    }
  }
}
