// The complaint screens, one page for every role of the workflow (GET /complaints/setup says which tabs):
// - the desk (desk role, supervisors, admins): requests received or sent back, routed to a department;
// - a department's queue (officers): assign, take, answer, send back with a reason;
// - approval (heads and secretaries where the department says so): approve or return a proposed answer;
// - the dashboard (officials, the desk, heads): charts (charts.js) of the volumes by category, department, district
//   and stage, requests received per week with the overdue among them, median time per stage, the satisfaction
//   ratings; overdue and at risk; CSV export; a period (?from=&to= as days, "to" included).
// Only the actions the API lists for a request (`actions`) are offered; the API checks them again. ?view= and ?ref=
// open a tab and a request.
import { applyLanguage, chooseLanguage } from "./i18n.js";
import { COLOURS, drawBars, drawHorizontalBars, drawLegend } from "./charts.js";
import { COMPLAINT_TEXT, NEEDS_COMMENT } from "./complaints-text.js";
import { shortTime } from "./desk.js";
import { showNotifications } from "./notifications.js";
import { api, requireSignIn, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let lang = chooseLanguage();
let setup = null;
let view = null;
let current = null;
let listing = 0;

const text = () => COMPLAINT_TEXT[lang] || COMPLAINT_TEXT.fr;
const label = (entry) => (entry ? entry.names[lang] || entry.names.fr || Object.values(entry.names)[0] : "");
const department = (key) => label(setup.departments.find((item) => item.key === key)) || key || "–";
const category = (key) => label(setup.categories.find((item) => item.key === key)) || key || "–";
const when = (iso) => (iso ? shortTime(iso, lang) : "–");

function applyTexts() {
  applyLanguage(lang);
  for (const node of document.querySelectorAll("[data-c]")) node.textContent = text()[node.dataset.c];
}

function views() {
  const found = [];
  if (setup.desk) found.push("desk");
  if (Object.keys(setup.memberships).length) found.push("queue");
  if (Object.values(setup.memberships).some((role) => role !== "agent")) found.push("approval");
  if (setup.dashboards) found.push("dashboard");
  return found;
}

function showView(name) {
  view = name;
  for (const button of document.querySelectorAll("#views button")) {
    button.setAttribute("aria-selected", String(button.dataset.view === name));
  }
  const board = name === "dashboard";
  $("board").classList.toggle("hidden", !board);
  $("list-card").classList.toggle("hidden", board);
  $("detail").classList.toggle("hidden", board || !current);
  if (board) loadDashboard(); else listItems();
}

async function listItems() {
  const ticket = ++listing;
  $("list-error").textContent = "";
  let items;
  try {
    items = (await api("GET", `/complaints?view=${view}`)).items;
  } catch (failure) {
    if (ticket === listing) $("list-error").textContent = failure.message;
    return;
  }
  if (ticket !== listing) return;
  $("empty").classList.toggle("hidden", items.length > 0);
  $("items").replaceChildren(...items.map((item) => {
    const row = document.createElement("li");
    row.dataset.reference = item.reference;
    row.classList.toggle("overdue", item.overdue);
    row.classList.toggle("at-risk", item.at_risk);
    row.classList.toggle("selected", Boolean(current && current.reference === item.reference));
    const open = document.createElement("button");
    open.className = "link";
    open.textContent = `${item.reference} · ${category(item.category)} · ${department(item.department)}`;
    open.onclick = () => showRequest(item.reference);
    const stage = document.createElement("span");
    stage.className = "state";
    stage.textContent = `${text().stages[item.stage]} · ${when(item.stage_due_at)}${item.overdue ? ` · ${text().overdue}` : ""}`;
    row.append(open, stage);
    return row;
  }));
}

async function showRequest(reference) {
  $("move-error").textContent = "";
  try {
    current = await api("GET", `/complaints/${encodeURIComponent(reference)}`);
  } catch (failure) {
    $("list-error").textContent = failure.message;
    return;
  }
  renderRequest();
  for (const row of document.querySelectorAll("#items li")) row.classList.toggle("selected", row.dataset.reference === reference);
}

function renderRequest() {
  const item = current;
  $("detail").classList.remove("hidden");
  $("detail").dataset.stage = item.stage;
  $("d-reference").textContent = item.reference;
  $("d-stage").textContent = text().stages[item.stage];
  $("d-category").textContent = category(item.category);
  $("d-department").textContent = department(item.department);
  $("d-channel").textContent = item.channel || "–";
  $("d-district").textContent = item.district || "–";
  $("d-assignee").textContent = item.assignee || "–";
  $("d-stage-due").textContent = when(item.stage_due_at) + (item.overdue ? ` · ${text().overdue}` : "");
  $("d-answer-due").textContent = when(item.answer_due_at);
  $("d-description").textContent = item.description || "–";
  $("d-contact").textContent = item.contact || item.caller_number || "–";
  $("d-answer").textContent = item.answer || "–";
  const select = $("m-action");
  select.replaceChildren(...item.actions.map((action) => new Option(text().actions[action], action)));
  $("move").classList.toggle("hidden", item.actions.length === 0);
  $("no-action").classList.toggle("hidden", item.actions.length > 0);
  $("m-department").replaceChildren(...setup.departments.map((entry) => new Option(label(entry), entry.key)));
  $("m-category").replaceChildren(new Option("–", ""), ...setup.categories.map((entry) => new Option(label(entry), entry.key)));
  $("m-category").value = item.category || "";
  const suggested = setup.categories.find((entry) => entry.key === item.category);
  if (suggested) $("m-department").value = suggested.department;
  $("m-district").value = item.district || "";
  $("m-assignee").value = "";
  $("m-comment").value = "";
  fitForm();
  showNotifications($("d-notifications"), item.notifications, {
    notices: text().notices, lang, empty: $("d-no-notifications"), retry: retryNotification,
  });
  $("d-history").replaceChildren(...item.history.map((event) => {
    const row = document.createElement("li");
    const head = document.createElement("span");
    const stage = text().stages[event.to_stage] || event.to_stage;
    head.textContent = `${when(event.at)} · ${event.actor} (${event.capacity}) · ${text().actions[event.action] || event.action} → ${stage}`;
    row.append(head);
    if (event.comment) {
      const comment = document.createElement("span");
      comment.className = "prewrap muted";
      comment.textContent = event.comment;
      row.append(comment);
    }
    return row;
  }));
}

async function retryNotification(id) {
  $("move-error").textContent = "";
  try {
    await api("POST", `/requests/${encodeURIComponent(current.reference)}/notifications/${id}/retry`);
  } catch (failure) {
    $("move-error").textContent = failure.message;
    return;
  }
  await showRequest(current.reference);
}

function fitForm() {
  const action = $("m-action").value;
  for (const [cls, shown] of [["for-route", action === "route"], ["for-take", action === "take"], ["for-duplicate", action === "duplicate"]]) {
    for (const node of document.querySelectorAll(`.${cls}`)) node.classList.toggle("hidden", !shown);
  }
  $("m-comment-label").textContent = action === "propose" ? text().answerText : NEEDS_COMMENT.has(action) ? text().reason : text().comment;
  $("m-comment").required = NEEDS_COMMENT.has(action);
}

$("m-action").onchange = fitForm;
$("move").onsubmit = async (event) => {
  event.preventDefault();
  $("move-error").textContent = "";
  const action = $("m-action").value;
  const body = { action, comment: $("m-comment").value };
  if (action === "route") {
    body.department = $("m-department").value;
    if ($("m-category").value) body.category = $("m-category").value;
    if ($("m-district").value) body.district = $("m-district").value;
  }
  if (action === "take" && $("m-assignee").value) body.assignee = $("m-assignee").value.trim();
  if (action === "duplicate") body.duplicate_of = $("m-duplicate").value.trim();
  try {
    current = await api("POST", `/complaints/${encodeURIComponent(current.reference)}/transitions`, body);
  } catch (failure) {
    $("move-error").textContent = failure.message;
    return;
  }
  renderRequest();
  listItems();
};

// -- the dashboards: charts.js draws them (labels in the page's language, right to left in Arabic) ----------------

let board = null;
let boarding = 0;
const locale = () => (lang === "ar" ? "ar-MA" : lang);
const shortDay = (day) => new Date(`${day}T00:00:00Z`).toLocaleDateString(locale(), { day: "numeric", month: "short", timeZone: "UTC" });

function periodQuery() {
  // "2026-11-23" as the start of that day in the browser's zone, with its offset (the API insists on one); "to" is
  // shown inclusive: the API's end is the next midnight
  const query = new URLSearchParams();
  if ($("b-from").value) query.set("from", new Date(`${$("b-from").value}T00:00:00`).toISOString());
  if ($("b-to").value) {
    const next = new Date(`${$("b-to").value}T00:00:00`);
    next.setDate(next.getDate() + 1);
    query.set("to", next.toISOString());
  }
  return query.size ? `?${query}` : "";
}

async function loadDashboard() {
  const ticket = ++boarding;
  $("list-error").textContent = "";
  let found;
  try {
    found = await api("GET", `/complaints/dashboard${periodQuery()}`);
  } catch (failure) {
    if (ticket === boarding) $("list-error").textContent = failure.message;
    return;
  }
  if (ticket !== boarding) return;
  board = found;
  $("b-csv").href = `/complaints/export.csv${periodQuery()}`;
  drawDashboard();
  document.body.dataset.board = String(Number(document.body.dataset.board || 0) + 1);
}

function counts(list, name) {
  return list.map((count) => ({ key: count.key, label: name(count.key), value: count.count }));
}

function drawDashboard() {
  const t = text(), rtl = lang === "ar", noData = t.noData;
  $("b-total").textContent = board.total;
  $("b-open").textContent = board.open;
  $("b-overdue").textContent = board.overdue;
  $("b-risk").textContent = board.at_risk;
  $("b-satisfaction").textContent = board.satisfaction_average ?? "–";
  const last = new Date(new Date(board.period_to).getTime() - 1000);
  const day = (moment) => moment.toLocaleDateString(locale());
  $("b-period-text").textContent = t.period.replace("{from}", day(new Date(board.period_from))).replace("{to}", day(last));
  const heading = (id) => $(id).previousElementSibling.textContent;
  const bars = (id, rows, name, colour, format) => drawHorizontalBars($(id), rows, {
    title: $(id).parentElement.querySelector("h3").textContent, name, noData, colour, rtl, format,
  });
  bars("c-category", counts(board.by_category, category), t.requests, COLOURS.blue);
  bars("c-department", counts(board.by_department, department), t.requests, COLOURS.blue);
  bars("c-district", counts(board.by_district, (key) => key || "–"), t.requests, COLOURS.blue);
  bars("c-stage", counts(board.by_stage, (key) => t.stages[key] || key), t.requests, COLOURS.purple);
  bars("c-median", board.median_hours_per_stage.map((item) => ({
    key: item.stage, label: t.stages[item.stage] || item.stage, value: item.median_hours,
  })), t.hours, COLOURS.orange);
  const closed = Object.fromEntries(board.trend.map((point) => [point.week, point.closed]));
  const weekly = (board.weekly || []).map((week) => ({ ...week, key: week.week, closed: closed[week.week] ?? 0 }));
  const series = [
    { key: "received", colour: COLOURS.sky, name: t.received },
    { key: "overdue", colour: COLOURS.vermillion, name: t.overdueNow, hatch: true },
  ];
  const line = { key: "closed", colour: COLOURS.black, name: t.closedWeek, dash: "6 4" };
  drawLegend($("l-weekly"), [...series, line]);
  drawBars($("c-weekly"), weekly, {
    series, line, overlay: true, title: heading("l-weekly"), noData, rtl, label: (row) => shortDay(row.week),
  });
  drawBars($("c-satisfaction"), (board.satisfaction_distribution || []).map((item) => ({
    key: String(item.rating), count: item.count,
  })), {
    series: [{ key: "count", colour: COLOURS.green, name: t.requests }], title: heading("c-satisfaction"), noData, rtl,
  });
}

$("lang").onchange = () => {
  lang = $("lang").value;
  applyTexts();
  if (view === "dashboard") { if (board) drawDashboard(); } else listItems();
  if (current) renderRequest();
};
$("signout").onclick = () => signOut();
for (const button of document.querySelectorAll("#views button")) button.onclick = () => showView(button.dataset.view);

async function start() {
  const me = await requireSignIn();
  $("lang").value = lang;
  applyTexts();
  $("who").textContent = `${me.display_name || me.name || me.username || ""}`;
  setup = await api("GET", "/complaints/setup");
  const open = views();
  for (const button of document.querySelectorAll("#views button")) button.classList.toggle("hidden", !open.includes(button.dataset.view));
  for (const name of ["from", "to"]) if (params.get(name)) $(`b-${name}`).value = params.get(name);  // bookmarks
  $("b-period").addEventListener("submit", (event) => { event.preventDefault(); loadDashboard(); });
  const wanted = params.get("view");
  showView(open.includes(wanted) ? wanted : open[0] || "dashboard");
  if (params.get("ref")) showRequest(params.get("ref"));
  document.body.dataset.ready = "1";
}

start().catch((failure) => { $("list-error").textContent = failure.message; });
