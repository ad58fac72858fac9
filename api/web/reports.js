// Reports page: fetches /reports/ministry as the signed-in supervisor (session.js), draws bar charts (charts.js: axes,
// values, a trend line when grouped by time, an explicit "no data", right to left in Arabic), and a table ending with
// the period's totals; states the period; exports CSV and PDF (fetched the same way, saved through a Blob link)
// and prints (reports.css @media print). French, Arabic (right to left) and English.
import { COLOURS, drawBars, drawLegend } from "./charts.js";
import { applyLanguage, chooseLanguage } from "./i18n.js";
import { REPORT_TEXT } from "./reports-text.js";
import { request, requireSignIn } from "./session.js";

const COLUMNS = ["key", "calls_offered", "calls_answered", "calls_abandoned", "service_level_percent", "callbacks",
  "voicemails", "requests_opened", "requests_answered_on_time", "requests_answered_late", "requests_overdue",
  "surveys", "satisfaction_average"];
const CHARTS = {  // colours for colour-blind readers and grey print (charts.js)
  calls: [["calls_offered", COLOURS.blue], ["calls_answered", COLOURS.sky], ["calls_abandoned", COLOURS.vermillion],
          ["voicemails", COLOURS.orange], ["callbacks", COLOURS.purple]],
  requests: [["requests_opened", COLOURS.blue], ["requests_answered_on_time", COLOURS.sky],
             ["requests_answered_late", COLOURS.orange], ["requests_overdue", COLOURS.vermillion]],
  satisfaction: [["satisfaction_average", COLOURS.green]],
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

function drawChart(name, rows, trend) {
  const series = CHARTS[name].map(([key, colour]) => ({ key, colour, name: T().series[key] }));
  drawLegend($(`legend-${name}`), series);
  drawBars($(`chart-${name}`), rows, {
    series, title: $(`legend-${name}`).previousElementSibling?.textContent || "", noData: T().noData,
    rtl: lang === "ar", line: trend ? { key: series[0].key, colour: COLOURS.black, name: series[0].name } : null,
  });
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
  for (const name of Object.keys(CHARTS)) {
    drawChart(name, report.rows, trend);
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
