// Reports page: fetches /reports/ministry as the signed-in supervisor (session.js), draws bar charts as inline SVG
// and a table, and exports the same figures as CSV (fetched the same way, saved through a Blob link).
import { request, requireSignIn } from "./session.js";

const SVG = "http://www.w3.org/2000/svg";
const COLUMNS = [
  ["key", "Groupe"], ["calls_offered", "Appels reçus"], ["calls_answered", "Répondus"],
  ["calls_abandoned", "Abandonnés"], ["service_level_percent", "Niveau de service %"], ["callbacks", "Rappels"],
  ["voicemails", "Messages"], ["requests_opened", "Demandes ouvertes"],
  ["requests_answered_on_time", "Répondues à temps"], ["requests_answered_late", "Répondues en retard"],
  ["requests_overdue", "En retard"], ["surveys", "Enquêtes"], ["satisfaction_average", "Satisfaction moyenne"],
];
const CHARTS = {
  calls: [["calls_offered", "Reçus", "#1a73e8"], ["calls_answered", "Répondus", "#1b7f3b"],
          ["calls_abandoned", "Abandonnés", "#b3261e"], ["voicemails", "Messages", "#b36b00"],
          ["callbacks", "Rappels", "#5f6368"]],
  requests: [["requests_opened", "Ouvertes", "#1a73e8"], ["requests_answered_on_time", "À temps", "#1b7f3b"],
             ["requests_answered_late", "Tardives", "#b36b00"], ["requests_overdue", "En retard", "#b3261e"]],
  satisfaction: [["satisfaction_average", "Moyenne", "#1b7f3b"]],
};
const $ = (id) => document.getElementById(id);

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

async function fetchReport(path) {
  try {
    return await request("GET", `${path}?${query()}`);
  } catch (error) {
    if (error.status === 403) throw new Error("accès refusé : réservé aux superviseurs");
    throw error;
  }
}

function svgElement(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

function drawBars(svg, legend, rows, series) {
  // Grouped bars: one group per row key, one bar per series; values are labelled so the chart reads without hover.
  svg.replaceChildren();
  legend.replaceChildren(...series.map(([, label, color]) => {
    const item = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    item.append(swatch, label);
    return item;
  }));
  const width = 600, height = 240, top = 16, bottom = 40, left = 8;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const values = rows.flatMap((row) => series.map(([key]) => Number(row[key] ?? 0)));
  const max = Math.max(1, ...values);
  const groupWidth = (width - left) / Math.max(1, rows.length);
  const barWidth = Math.max(2, (groupWidth - 12) / series.length);
  svg.append(svgElement("line", { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: "#999" }));
  rows.forEach((row, index) => {
    const x0 = left + index * groupWidth + 6;
    series.forEach(([key, label, color], position) => {
      const value = row[key];
      const barHeight = value == null ? 0 : ((height - top - bottom) * Number(value)) / max;
      const x = x0 + position * barWidth;
      const y = height - bottom - barHeight;
      const bar = svgElement("rect", {
        x, y, width: Math.max(1, barWidth - 2), height: barHeight, fill: color,
        "data-series": key, "data-key": row.key, "data-value": value ?? "",
      });
      bar.append(svgElement("title", {}, `${row.key} — ${label} : ${value ?? "—"}`));
      svg.append(bar);
      if (value != null) {
        svg.append(svgElement("text", { x: x + barWidth / 2 - 1, y: y - 3, "font-size": 10, "text-anchor": "middle" },
                              String(value)));
      }
    });
    svg.append(svgElement("text", { x: x0 + (groupWidth - 12) / 2, y: height - bottom + 14, "font-size": 11,
                                    "text-anchor": "middle" }, row.key || "—"));
  });
}

function drawTable(rows) {
  const head = document.createElement("tr");
  head.append(...COLUMNS.map(([, label]) => Object.assign(document.createElement("th"), { textContent: label })));
  $("table").tHead.replaceChildren(head);
  $("table").tBodies[0].replaceChildren(...rows.map((row) => {
    const line = document.createElement("tr");
    line.dataset.key = row.key;
    line.append(...COLUMNS.map(([key]) => {
      const cell = document.createElement("td");
      cell.dataset.column = key;
      cell.textContent = row[key] ?? "—";  // textContent: a service tag is data, never markup
      return cell;
    }));
    return line;
  }));
}

async function show() {
  $("error").textContent = "";
  $("status").textContent = "…";
  try {
    const report = await (await fetchReport("/reports/ministry")).json();
    for (const [name, series] of Object.entries(CHARTS)) {
      drawBars($(`chart-${name}`), $(`legend-${name}`), report.rows, series);
    }
    drawTable(report.rows);
    $("status").textContent = `${report.rows.length} ligne(s), ${report.timezone}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    $("error").textContent = error.message;
    $("status").textContent = "";
  }
}

async function exportCsv() {
  try {
    const blob = await (await fetchReport("/reports/ministry.csv")).blob();
    const link = Object.assign(document.createElement("a"), {
      href: URL.createObjectURL(blob), download: `rapport-${$("group_by").value}.csv`,
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  } catch (error) {
    $("error").textContent = error.message;
  }
}

async function start() {
  await requireSignIn();
  const params = new URLSearchParams(location.search);  // ?group_by=service&from=2026-11-01 for bookmarks
  for (const name of ["group_by", "from", "to", "language", "service"]) if (params.get(name)) $(name).value = params.get(name);
  $("filters").classList.remove("hidden");
  $("filters").addEventListener("submit", (event) => { event.preventDefault(); show(); });
  $("csv").addEventListener("click", () => exportCsv());
  show();
}

start();
