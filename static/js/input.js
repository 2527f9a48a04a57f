// The numbers box: one step per line, values separated by commas, semicolons or spaces.
// Parsing keeps where each step and value sits in the text, so an error can point at it.

export class ParseError extends Error {
  constructor(step, value, text, location) {
    super(`step ${step + 1}, value ${value + 1}: ${text}`);
    this.step = step; // 0-based, like the API's field path input[step][value]
    this.value = value;
    this.text = text;
    this.location = location;
  }

  /** The error as the API reports a bad value: {path, field, message} at input[step][value]. */
  problem(message) {
    return { path: ["input", this.step, this.value], field: `input[${this.step}][${this.value}]`, message };
  }
}

/**
 * "0.0, 12.8, 5.0, 4.7\n..." -> {rows: [[0, 12.8, 5, 4.7], ...], locations: [...]}.
 * Blank lines are skipped. locations[step] = {line, start, end, cells: [{start, end}]}, offsets
 * into the whole text. Throws ParseError naming the first value that is not a number.
 */
export function parseNumbers(text) {
  const rows = [];
  const locations = [];
  let offset = 0;
  text.split("\n").forEach((lineText, line) => {
    const cells = [];
    const row = [];
    for (const match of lineText.matchAll(/[^\s,;]+/g)) {
      const start = offset + match.index;
      const cell = { start, end: start + match[0].length };
      const location = { line, start: offset, end: offset + lineText.length, cells: [...cells, cell] };
      const value = parseNumber(match[0]);
      if (value === null) throw new ParseError(rows.length, cells.length, match[0], location);
      cells.push(cell);
      row.push(value);
    }
    if (cells.length) {
      rows.push(row);
      locations.push({ line, start: offset, end: offset + lineText.length, cells });
    }
    offset += lineText.length + 1;
  });
  return { rows, locations };
}

function parseNumber(token) {
  // Number("") is 0 and Number("0x1f") is 31; accept plain decimals only. NaN and Infinity
  // are refused here too: JSON carries them as null, and the API could only say "got null".
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(token)) return null;
  return Number(token);
}

/** [[0, 12.8, 5, 4.7], ...] -> "0, 12.8, 5, 4.7\n..." (how the box shows an example). */
// Examples often come from float32 data (8.100000381469727): show them as typed (8.1).
const show = (value) => String(Number(Number(value).toPrecision(7)));

export function formatNumbers(rows) {
  return rows.map((row) => (Array.isArray(row) ? row : [row]).map(show).join(", ")).join("\n");
}

/** A short label for an example input in the examples list. */
export function exampleLabel(example, index) {
  if (typeof example === "string") return example.length > 70 ? `${example.slice(0, 67)}…` : example;
  const first = Array.isArray(example[0]) ? example[0].map(show).join(", ") : show(example[0]);
  return `#${index + 1} · ${example.length} × [${first}] …`;
}
