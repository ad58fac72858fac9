// Charts as inline SVG, shared by the reports (reports.js) and the complaint dashboards (complaints.js): no
// library, no build step, nothing the CSP refuses (SVG attributes and CSSOM only, never a style attribute).
// Rules:
// - Every chart has its axes, the value of each bar written on it (when the bars leave room), an explicit "no data"
//   (class no-data) when there is nothing but zeros, and a text alternative: a <title> (the chart's name) and a
//   <desc> (every figure), named by aria-labelledby / aria-describedby on the svg (role="img").
// - Right to left: a chart is laid out left to right, then mirrored (x -> width - x) so that the first bar, the
//   value axis and the labels sit on the right. The svg keeps direction="ltr" so that text-anchor stays physical;
//   the browser's bidi algorithm still shapes and orders the Arabic inside each label.
// - Colours: the Okabe-Ito palette (told apart with the common colour blindnesses, never red against green), light
//   against dark so that a grey print keeps them apart; a series laid over another is hatched as well.
// - The drawing is as wide as the svg is on screen (320 to 1,100 units): on a phone the text keeps its size.
const SVG = "http://www.w3.org/2000/svg";
export const COLOURS = {
  blue: "#0072B2", sky: "#56B4E9", orange: "#E69F00", vermillion: "#D55E00", green: "#009E73",
  purple: "#CC79A7", yellow: "#F0E442", black: "#000000", grey: "#5f6368",
};
const AXIS = "#5f6368", GRID = "#e0e0e0";

export function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

export function niceMax(value) {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
}

const tickCount = (max) => (Number.isInteger(max / 5) ? 5 : 4);  // whole steps where the scale allows
const number = (value) => (Number.isInteger(value) ? String(value) : String(Number(value.toFixed(1))));

// The legend above a chart (HTML, so it follows the page's direction): one swatch per series.
export function drawLegend(legend, series) {
  legend.replaceChildren(...series.map(({ colour, name, hatch }) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = hatch ? `repeating-linear-gradient(45deg, ${colour} 0 3px, #fff 3px 5px)` : colour;
    item.append(swatch, name);
    return item;
  }));
}

// A fresh drawing surface: viewBox, title and description, and a pen that mirrors left-to-right coordinates.
function surface(svg, { height, title, description, rtl }) {
  const measured = svg.getBoundingClientRect().width;
  const width = Math.round(Math.min(1100, Math.max(320, measured || 600)));
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("direction", "ltr");
  svg.setAttribute("role", "img");
  svg.dataset.rtl = rtl ? "true" : "false";
  const id = svg.id || "chart";
  svg.append(svgElement("title", { id: `${id}-title` }, title), svgElement("desc", { id: `${id}-desc` }, description));
  svg.setAttribute("aria-labelledby", `${id}-title`);
  svg.setAttribute("aria-describedby", `${id}-desc`);
  svg.removeAttribute("aria-label");
  const x = (value) => (rtl ? width - value : value);
  const anchor = (value) => (!rtl || value === "middle" ? value : value === "end" ? "start" : "end");
  const pen = {
    width,
    add(element) { svg.append(element); return element; },
    rect(attributes) {
      const shown = { ...attributes };
      if (rtl) shown.x = width - attributes.x - attributes.width;
      return pen.add(svgElement("rect", shown));
    },
    line(attributes) {
      return pen.add(svgElement("line", { ...attributes, x1: x(attributes.x1), x2: x(attributes.x2) }));
    },
    text(attributes, content) {
      const { rotate, ...rest } = attributes;
      const shown = { "font-size": 14, ...rest, x: x(rest.x), "text-anchor": anchor(rest["text-anchor"] || "start") };
      if (rotate) shown.transform = `rotate(${rtl ? -rotate : rotate} ${shown.x} ${shown.y})`;
      return pen.add(svgElement("text", shown, content));
    },
    polyline(points, attributes) {
      return pen.add(svgElement("polyline", { ...attributes, points: points.map(([px, py]) => `${x(px)},${py}`).join(" ") }));
    },
  };
  return pen;
}

function noData(svg, pen, text, top, bottom) {
  svg.dataset.empty = "true";
  pen.text({ x: pen.width / 2, y: (top + bottom) / 2, "font-size": 20, "text-anchor": "middle", fill: AXIS,
    class: "no-data" }, text);
}

function hatchFill(svg, pen, key, colour) {
  const id = `${svg.id || "chart"}-hatch-${key}`;
  const pattern = svgElement("pattern", { id, patternUnits: "userSpaceOnUse", width: 6, height: 6,
    patternTransform: "rotate(45)" });
  pattern.append(svgElement("rect", { width: 6, height: 6, fill: colour }),
    svgElement("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#fff", "stroke-width": 2 }));
  const defs = svgElement("defs", {});
  defs.append(pattern);
  pen.add(defs);
  return `url(#${id})`;
}

// Vertical bars, one group per row, one bar per series (side by side, or laid over the first with `overlay`:
// for a part of a whole, as the overdue among the received), with a graduated value axis, one label per group
// (`label(row)`), each bar's value above it, and a line (`line`: {key, colour, name}) across the groups if asked.
// options: {series: [{key, colour, name, hatch}], label, title, noData, rtl, overlay, line, format}
export function drawBars(svg, rows, options) {
  const { series, title, rtl = false, overlay = false, line = null } = options;
  const label = options.label || ((row) => row.key || "—");
  const format = options.format || number;
  const shown = line && !series.some(({ key }) => key === line.key) ? [...series, line] : series;
  const description = rows.map((row) => `${label(row)} — ${shown.map(({ key, name }) =>
    `${name} : ${row[key] == null ? "—" : format(Number(row[key]))}`).join(", ")}`).join("; ");
  const rotated = rows.length > 6;  // many labels: slanted, with room for them below and beside the first one
  const height = 300, top = 24, bottom = rotated ? 66 : 40, left = rotated ? 66 : 48, right = 12;
  const pen = surface(svg, { height, title, description: description || options.noData, rtl });
  const width = pen.width;
  const axisY = height - bottom;
  pen.line({ x1: left, x2: width - right, y1: axisY, y2: axisY, stroke: AXIS });
  pen.line({ x1: left, x2: left, y1: top, y2: axisY, stroke: AXIS });
  const values = rows.flatMap((row) => shown.map(({ key }) => row[key])).filter((v) => v != null).map(Number);
  if (!rows.length || values.every((v) => v === 0)) {
    noData(svg, pen, options.noData, top, axisY);
    return;
  }
  svg.dataset.empty = "false";
  const max = niceMax(Math.max(...values));
  const scale = (v) => ((axisY - top) * v) / max;
  const ticks = tickCount(max);
  for (let tick = 0; tick <= ticks; tick += 1) {
    const value = (max * tick) / ticks;
    const y = axisY - scale(value);
    pen.line({ x1: left - 4, x2: width - right, y1: y, y2: y, stroke: tick ? GRID : AXIS });
    pen.text({ x: left - 8, y: y + 5, "text-anchor": "end" }, number(value));
  }
  const fills = series.map(({ key, colour, hatch }) => (hatch ? hatchFill(svg, pen, key, colour) : colour));
  const groupWidth = (width - left - right) / rows.length;
  const slots = overlay ? 1 : series.length;
  const barWidth = Math.max(2, (groupWidth - 8) / slots);
  const labelEvery = Math.ceil(rows.length / Math.max(1, Math.floor((width - left - right) / 48)));
  const written = barWidth >= 16;  // values only where they fit over their bar
  const points = [];
  rows.forEach((row, index) => {
    const x0 = left + index * groupWidth + 4;
    const centre = x0 + (groupWidth - 8) / 2;
    series.forEach(({ key, name }, position) => {
      const value = row[key];
      const barHeight = value == null ? 0 : scale(Number(value));
      const inset = overlay && position > 0 ? barWidth * 0.2 : 0;
      const x = x0 + (overlay ? 0 : position * barWidth) + inset;
      const y = axisY - barHeight;
      const bar = pen.rect({
        x, y, width: Math.max(1, barWidth - 2 - 2 * inset), height: barHeight, fill: fills[position],
        "data-series": key, "data-key": row.key, "data-value": value ?? "",
      });
      bar.append(svgElement("title", {}, `${label(row)} — ${name} : ${value == null ? "—" : format(Number(value))}`));
      if (value != null && written && (!overlay || position === 0)) {
        pen.text({ x: x + (barWidth - 2) / 2, y: y - 5, "text-anchor": "middle", class: "value",
          "data-series": key }, format(Number(value)));
      }
    });
    if (line && row[line.key] != null) points.push([centre, axisY - scale(Number(row[line.key]))]);
    if (index % labelEvery === 0) {
      const rotate = rotated ? -30 : 0;
      pen.text({ x: centre, y: axisY + 20, "text-anchor": rotate ? "end" : "middle", rotate, class: "label" },
        label(row));
    }
  });
  if (line && points.length > 1) {
    pen.polyline(points, { fill: "none", stroke: line.colour, "stroke-width": 3, "stroke-dasharray": line.dash || "",
      class: "trend", "data-series": line.key });
  }
}

// Horizontal bars, one per row ({key, label, value}), in the order given: the label at the start, the bar growing
// towards the end with its value written after it, a graduated value axis below; "no data" when there is no row.
// options: {title, name, noData, colour, rtl, format}
export function drawHorizontalBars(svg, rows, options) {
  const { title, name, colour = COLOURS.blue, rtl = false } = options;
  const format = options.format || number;
  const description = rows.map((row) => `${row.label} : ${format(Number(row.value))}`).join("; ");
  const rowHeight = 30, top = 8, bottom = 30;
  const height = top + Math.max(rows.length, 3) * rowHeight + bottom;
  const pen = surface(svg, { height, title: name ? `${title} (${name})` : title,
    description: description || options.noData, rtl });
  const width = pen.width;
  const axisY = height - bottom;
  const labelWidth = Math.round(Math.min(220, width * 0.38));
  const start = labelWidth + 8, end = width - 48;
  if (!rows.length) {  // a listed zero (a median under a minute) is a figure, drawn as such
    noData(svg, pen, options.noData, top, axisY);
    return;
  }
  pen.line({ x1: start, x2: start, y1: top, y2: axisY, stroke: AXIS });
  pen.line({ x1: start, x2: end, y1: axisY, y2: axisY, stroke: AXIS });
  const values = rows.map((row) => Number(row.value));
  svg.dataset.empty = "false";
  const max = niceMax(Math.max(...values));
  const scale = (v) => ((end - start) * v) / max;
  const ticks = tickCount(max);
  for (let tick = 0; tick <= ticks; tick += 1) {
    const value = (max * tick) / ticks;
    const x = start + scale(value);
    if (tick) pen.line({ x1: x, x2: x, y1: top, y2: axisY, stroke: GRID });
    pen.text({ x, y: axisY + 18, "text-anchor": "middle", "font-size": 12 }, number(value));
  }
  const fits = Math.max(4, Math.floor(labelWidth / 8.5));  // characters of at most about 8.5 units at 14
  rows.forEach((row, index) => {
    const y = top + index * rowHeight + 4;
    const text = row.label.length > fits ? `${row.label.slice(0, fits - 1)}…` : row.label;
    const shown = pen.text({ x: labelWidth, y: y + 17, "text-anchor": "end", class: "label" }, text);
    if (text !== row.label) shown.dataset.full = row.label;  // the whole label is in the bar's <title> and the <desc>
    const barWidth = scale(Number(row.value));
    const bar = pen.rect({ x: start, y, width: Math.max(barWidth, 0), height: rowHeight - 8, fill: colour,
      "data-key": row.key, "data-value": row.value });
    bar.append(svgElement("title", {}, `${row.label} : ${format(Number(row.value))}`));
    pen.text({ x: start + barWidth + 6, y: y + 17, "text-anchor": "start", class: "value", "font-weight": "bold",
      "data-key": row.key }, format(Number(row.value)));
  });
}
