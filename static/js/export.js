// For teachers: every plot downloads as PNG or SVG (Plotly's own downloadImage, from the local
// bundle: two buttons on the plot's mode bar), and "Save this view" writes one self-contained
// HTML file (Plotly inlined, the trace embedded as JSON, the heatmaps drawn by the file itself)
// that opens offline, with no server.

import { t } from "./i18n.js";

const Plotly = window.Plotly;

/** A file name for a plot: gatescope-<model>-<plot>. */
function plotName(gd) {
  const model = document.body.dataset.model || "gatescope";
  const plot = gd.dataset.testid || "plot";
  return `gatescope-${model}-${plot}`.replace(/[^\w.-]+/g, "_");
}

const SVG_ICON = {
  width: 1000,
  height: 1000,
  // a page with a folded corner: "a drawing"
  path: "M200 50h420l230 230v670h-650zM600 80v220h220M300 520l120 180l90-120l170 230h-460z",
  transform: "matrix(1 0 0 -1 0 1000)",
};

function downloadButton(format) {
  return {
    name: `download-${format}`,
    title: t(`download.${format}`),
    icon: format === "png" ? Plotly.Icons.camera : SVG_ICON,
    click: (gd) => Plotly.downloadImage(gd, { format, filename: plotName(gd), scale: format === "png" ? 2 : 1 }),
  };
}

/** The mode bar every plot shows on hover: download as PNG, download as SVG, and nothing else. */
export const DOWNLOAD_CONFIG = {
  displayModeBar: "hover",
  displaylogo: false,
  modeBarButtons: [[downloadButton("png"), downloadButton("svg")]],
};

const escapeScript = (text) => text.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");

/** The page's Plotly bundle, as text (the same local file the page runs). */
async function plotlySource() {
  const script = document.querySelector('script[src*="plotly"]');
  const response = await fetch(script.src);
  if (!response.ok) throw new Error(`Plotly bundle: ${response.status}`);
  return response.text();
}

/**
 * One HTML document showing the view: title, the step and unit, every heatmap of the shown layer
 * drawn as the page drew it (z, ranges, colour scales, the step's column marked). The whole trace
 * rides along as JSON (<script type="application/json" id="gatescope-trace">).
 */
export function snapshotHtml({ payload, figures, heading, caption, plotly }) {
  const data = { figures };
  const escape = (text) => String(text).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const draw = `
const view = JSON.parse(document.getElementById("gatescope-view").textContent);
for (const figure of view.figures) {
  const box = document.createElement("figure");
  const title = document.createElement("h2");
  title.textContent = figure.title;
  const plot = document.createElement("div");
  plot.className = "plot";
  plot.setAttribute("role", "img");
  plot.setAttribute("aria-label", figure.label);
  plot.dataset.testid = figure.testid;
  box.append(title, plot);
  document.getElementById("figures").append(box);
  Plotly.newPlot(plot, [figure.trace], figure.layout, { displayModeBar: false, responsive: true });
}`;
  return `<!doctype html>
<html lang="${escape(document.documentElement.lang || "en")}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(heading)}</title>
<style>
body { font-family: "Noto Sans CJK KR", "Noto Sans", "DejaVu Sans", sans-serif; margin: 1rem 1.5rem; color: #111; }
h1 { font-size: 1.4rem; margin: 0 0 0.3rem; } h2 { font-size: 1.05rem; margin: 0.8rem 0 0; }
figure { margin: 0; } .caption { color: #4a4a4a; margin: 0 0 0.6rem; }
</style>
<script>${escapeScript(plotly)}</script>
</head>
<body>
<h1>${escape(heading)}</h1>
<p class="caption">${escape(caption)}</p>
<main id="figures"></main>
<script type="application/json" id="gatescope-trace">${escapeScript(JSON.stringify(payload))}</script>
<script type="application/json" id="gatescope-view">${escapeScript(JSON.stringify(data))}</script>
<script>${draw}</script>
</body>
</html>
`;
}

/** The figures of the heatmaps on the page, as Plotly holds them, the current step marked. */
export function heatmapFigures(elements, step) {
  return elements.map((gd) => {
    const trace = { ...gd.data[0] };
    const layout = JSON.parse(JSON.stringify(gd.layout));
    const column = Number(gd.closest(".plot-wrap")?.querySelector(".mark-step")?.dataset.column ?? step);
    layout.shapes = [
      { type: "rect", xref: "x", yref: "paper", x0: column - 0.5, x1: column + 0.5, y0: 0, y1: 1, line: { color: "#000", width: 3 } },
    ];
    const figure = gd.closest("figure");
    const title = figure ? figure.querySelector("figcaption").textContent.replace(/\s+/g, " ").trim() : gd.dataset.testid;
    const label = gd.closest("[aria-label]")?.getAttribute("aria-label") ?? title;
    return { testid: gd.dataset.testid, title, label, trace, layout };
  });
}

/** Download `text` as a file named `name`. */
export function downloadText(text, name, type = "text/html") {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Save the view: the page's heatmaps and trace, Plotly inlined, as one .html file. */
export async function saveView({ payload, elements, step, unit, heading, caption }) {
  const plotly = await plotlySource();
  const html = snapshotHtml({ payload, figures: heatmapFigures(elements, step), heading, caption, plotly });
  const name = `gatescope-${payload.model}-step${step}-unit${unit}.html`.replace(/[^\w.-]+/g, "_");
  downloadText(html, name);
  return html;
}
