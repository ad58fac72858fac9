// The complaint screens, one page for every role of the workflow (GET /complaints/setup says which tabs):
// - the desk (desk role, supervisors, admins): requests received or sent back, routed to a department;
// - a department's queue (officers): assign, take, answer, send back with a reason;
// - approval (heads and secretaries where the department says so): approve or return a proposed answer;
// - the dashboard (officials, the desk, heads): volumes, overdue and at risk, median time per stage, trend,
//   satisfaction, CSV export.
// Only the actions the API lists for a request (`actions`) are offered; the API checks them again. ?view= and ?ref=
// open a tab and a request.
import { applyLanguage, chooseLanguage } from "./i18n.js";
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

function fillCounts(list, counts, name = (key) => key || "–") {
  list.replaceChildren(...counts.map((count) => {
    const row = document.createElement("li");
    const what = document.createElement("span");
    what.textContent = name(count.key);
    const n = document.createElement("b");
    n.textContent = String(count.count);
    row.append(what, n);
    return row;
  }));
}

async function loadDashboard() {
  let board;
  try {
    board = await api("GET", "/complaints/dashboard");
  } catch (failure) {
    $("list-error").textContent = failure.message;
    return;
  }
  $("b-total").textContent = board.total;
  $("b-open").textContent = board.open;
  $("b-overdue").textContent = board.overdue;
  $("b-risk").textContent = board.at_risk;
  $("b-satisfaction").textContent = board.satisfaction_average ?? "–";
  fillCounts($("b-category"), board.by_category, category);
  fillCounts($("b-department"), board.by_department, department);
  fillCounts($("b-district"), board.by_district);
  fillCounts($("b-stage"), board.by_stage, (key) => text().stages[key] || key);
  fillCounts($("b-median"), board.median_hours_per_stage.map((item) => ({ key: item.stage, count: item.median_hours })),
    (key) => text().stages[key] || key);
  fillCounts($("b-trend"), board.trend.map((point) => ({ key: point.week, count: `${point.received} / ${point.closed}` })));
}

$("lang").onchange = () => {
  lang = $("lang").value;
  applyTexts();
  if (view === "dashboard") loadDashboard(); else listItems();
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
  const wanted = params.get("view");
  showView(open.includes(wanted) ? wanted : open[0] || "dashboard");
  if (params.get("ref")) showRequest(params.get("ref"));
  document.body.dataset.ready = "1";
}

start().catch((failure) => { $("list-error").textContent = failure.message; });
