// Reports page: fetches /reports/ministry as the signed-in supervisor (session.js), draws bar charts (with axes,
// values, a trend line when grouped by time, and an explicit "no data") as inline SVG, and a table ending with
// the period's totals; states the period; exports CSV and PDF (fetched the same way, saved through a Blob link)
// and prints (reports.css @media print). French, Arabic (right to left) and English.
import { applyLanguage, chooseLanguage } from "./i18n.js";
import { REPORT_TEXT } from "./reports-text.js";
import { request, requireSignIn } from "./session.js";

const SVG = "http://www.w3.org/2000/svg";
const COLUMNS = ["key", "calls_offered", "calls_answered", "calls_abandoned", "service_level_percent", "callbacks",
  "voicemails", "requests_opened", "requests_answered_on_time", "requests_answered_late", "requests_overdue",
  "surveys", "satisfaction_average"];
const CHARTS = {
  calls: [["calls_offered", "#1a73e8"], ["calls_answered", "#1b7f3b"], ["calls_abandoned", "#b3261e"],
          ["voicemails", "#b36b00"], ["callbacks", "#5f6368"]],
  requests: [["requests_opened", "#1a73e8"], ["requests_answered_on_time", "#1b7f3b"],
             ["requests_answered_late", "#b36b00"], ["requests_overdue", "#b3261e"]],
  satisfaction: [["satisfaction_average", "#1b7f3b"]],
};
const TIME_GROUPS = new Set(["day", "week", "month"]);
const $ = (id) => document.getElementById(id);
let lang = chooseLanguage();
let last = null;
const T = () => REPORT_TEXT[lang] || REPORT_TEXT.fr;

function translate() {
  applyLanguage(lang);
  for (const node of document.querySelectorAll("[data-r]")) node.textContent = T()[node.dataset.r];
  for (const option of $("group_by").options) option.textContent = T().groups[option.value];
  for (const id of ["language", "service"]) $(id).placeholder = T().all;
  document.title = T().title;
}

function localMidnight(day) {
  // "2026-11-23" as the start of that day in the browser's timezone, with its UTC offset (the API insists on one)
  return new Date(`${day}T00:00:00`).toISOString();
}

function query() {
  const params = new URLSearchParams({ group_by: $("group_by").value });
  if ($("from").value) params.set("from", localMidnight($("from").value));
  if ($("to").value) {
    const next = new Date(`${$("to").value}T00:00:00`);
    next.setDate(next.getDate() + 1);
    params.set("to", next.toISOString());
  }
  for (const name of ["language", "service"]) if ($(name).value.trim()) params.set(name, $(name).value.trim());
  return params;
}

async function fetchReport(path, extra = {}) {
  const params = query();
  for (const [key, value] of Object.entries(extra)) params.set(key, value);
  try {
    return await request("GET", `${path}?${params}`);
  } catch (error) {
    if (error.status === 403) throw new Error(T().forbidden);
    throw error;
  }
}

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function niceMax(value) {
  if (value <= 5) return 5;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
}

// Grouped bars with a y axis (graduated), an x axis (one label per group), each bar's value written above it; a
// trend line (the first series) when the groups are days/weeks/months; "no data" when there is nothing to draw.
function drawBars(svg, legend, rows, series, trend) {
  svg.replaceChildren();
  legend.replaceChildren(...series.map(([key, color]) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    item.append(swatch, T().series[key]);
    return item;
  }));
  const width = 600, height = 300, top = 20, bottom = 56, left = 48, right = 10;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("aria-label", legend.previousElementSibling?.textContent || "");
  const values = rows.flatMap((row) => series.map(([key]) => row[key])).filter((v) => v != null).map(Number);
  const axisY = height - bottom;
  svg.append(svgElement("line", { x1: left, x2: width - right, y1: axisY, y2: axisY, stroke: "#5f6368" }));
  svg.append(svgElement("line", { x1: left, x2: left, y1: top, y2: axisY, stroke: "#5f6368" }));
  if (!rows.length || values.every((v) => v === 0)) {
    svg.dataset.empty = "true";
    svg.append(svgElement("text", { x: (left + width) / 2, y: (top + axisY) / 2, "font-size": 22, "text-anchor": "middle",
      fill: "#5f6368", class: "no-data" }, T().noData));
    return;
  }
  svg.dataset.empty = "false";
  const max = niceMax(Math.max(...values));
  const scale = (v) => ((axisY - top) * v) / max;
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (max * tick) / 4;
    const y = axisY - scale(value);
    svg.append(svgElement("line", { x1: left - 4, x2: width - right, y1: y, y2: y, stroke: tick ? "#e0e0e0" : "#5f6368" }));
    svg.append(svgElement("text", { x: left - 8, y: y + 5, "font-size": 15, "text-anchor": "end" },
      Number.isInteger(value) ? String(value) : value.toFixed(1)));
  }
  const groupWidth = (width - left - right) / rows.length;
  const barWidth = Math.max(2, (groupWidth - 8) / series.length);
  const labelEvery = Math.ceil(rows.length / 12);
  const points = [];
  rows.forEach((row, index) => {
    const x0 = left + index * groupWidth + 4;
    series.forEach(([key, color], position) => {
      const value = row[key];
      const barHeight = value == null ? 0 : scale(Number(value));
      const x = x0 + position * barWidth;
      const y = axisY - barHeight;
      const bar = svgElement("rect", {
        x, y, width: Math.max(1, barWidth - 2), height: barHeight, fill: color,
        "data-series": key, "data-key": row.key, "data-value": value ?? "",
      });
      bar.append(svgElement("title", {}, `${row.key} — ${T().series[key]} : ${value ?? "—"}`));
      svg.append(bar);
      if (value != null && rows.length * series.length <= 40) {
        svg.append(svgElement("text", { x: x + barWidth / 2 - 1, y: y - 4, "font-size": 14, "text-anchor": "middle" },
                              String(value)));
      }
    });
    if (trend && row[series[0][0]] != null) points.push(`${x0 + (groupWidth - 8) / 2},${axisY - scale(Number(row[series[0][0]]))}`);
    if (index % labelEvery === 0) {
      const cx = x0 + (groupWidth - 8) / 2;
      const label = svgElement("text", { x: cx, y: axisY + 20, "font-size": 15, "text-anchor": "middle" }, row.key || "—");
      if (rows.length > 6) label.setAttribute("transform", `rotate(-30 ${cx} ${axisY + 20})`);
      svg.append(label);
    }
  });
  if (trend && points.length > 1) {
    svg.append(svgElement("polyline", { points: points.join(" "), fill: "none", stroke: "#174ea6", "stroke-width": 3,
      class: "trend" }));
  }
}

function drawTable(report) {
  const head = document.createElement("tr");
  head.append(...COLUMNS.map((key) => Object.assign(document.createElement("th"), { textContent: T().columns[key] })));
  $("table").tHead.replaceChildren(head);
  const line = (row, total) => {
    const tr = document.createElement("tr");
    tr.dataset.key = total ? "total" : row.key;
    tr.append(...COLUMNS.map((key) => {
      const cell = document.createElement(total ? "th" : "td");
      cell.dataset.column = key;
      cell.textContent = total && key === "key" ? T().total : row[key] ?? "—";  // textContent: data, never markup
      return cell;
    }));
    return tr;
  };
  $("table").tBodies[0].replaceChildren(...report.rows.map((row) => line(row, false)));
  if (!report.rows.length) {
    const empty = document.createElement("tr");
    const cell = Object.assign(document.createElement("td"), { colSpan: COLUMNS.length, textContent: T().noData });
    cell.className = "no-data";
    empty.append(cell);
    $("table").tBodies[0].append(empty);
  }
  $("table").tFoot.replaceChildren(...(report.totals ? [line(report.totals, true)] : []));
}

function periodText(report) {
  const day = (iso) => new Date(iso).toLocaleDateString(lang === "ar" ? "ar-MA" : lang, { timeZone: report.timezone });
  if (!report.period_from && !report.period_to) return `${T().period} : ${T().periodAll} (${report.timezone})`;
  let end = "…";
  if (report.period_to) {  // shown inclusive: the last day before the exclusive end
    end = day(new Date(new Date(report.period_to).getTime() - 1000).toISOString());
  }
  const start = report.period_from ? day(report.period_from) : "…";
  return `${T().period} : ${T().periodFrom} ${start} ${T().periodTo} ${end} (${report.timezone})`;
}

function draw(report) {
  const trend = TIME_GROUPS.has(report.group_by);
  for (const [name, series] of Object.entries(CHARTS)) {
    drawBars($(`chart-${name}`), $(`legend-${name}`), report.rows, series, trend);
  }
  drawTable(report);
  $("period").textContent = periodText(report);
  $("status").textContent = T().rows.replace("{n}", report.rows.length);
}

async function show() {
  $("error").textContent = "";
  $("status").textContent = "…";
  try {
    last = await (await fetchReport("/reports/ministry")).json();
    draw(last);
    document.body.dataset.loaded = "true";
  } catch (error) {
    $("error").textContent = error.message;
    $("status").textContent = "";
  }
}

async function save(path, extension, extra) {
  try {
    const blob = await (await fetchReport(path, extra)).blob();
    const link = Object.assign(document.createElement("a"), {
      href: URL.createObjectURL(blob), download: `rapport-${$("group_by").value}.${extension}`,
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    $("error").textContent = error.message;
  }
}

async function start() {
  translate();
  $("lang").value = lang;
  $("lang").onchange = () => { lang = $("lang").value; translate(); if (last) draw(last); };
  await requireSignIn();
  const params = new URLSearchParams(location.search);  // ?group_by=service&from=2026-11-01 for bookmarks
  for (const name of ["group_by", "from", "to", "language", "service"]) if (params.get(name)) $(name).value = params.get(name);
  $("filters").classList.remove("hidden");
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); show(); });
  $("csv").addEventListener("click", () => save("/reports/ministry.csv", "csv", {}));
  $("pdf").addEventListener("click", () => save("/reports/ministry.pdf", "pdf", { lang: ["fr", "en", "ar"].includes(lang) ? lang : "fr" }));
  $("print").addEventListener("click", () => window.print());
  show();
}

start();
