// The agent's day (state and time in it, queues with skills, today's figures and calls) and the disposition
// form that closes each call: an outcome from the call center's list, a note, optionally a new request whose
// deadline the API computes. Shared helpers for the request desk page too (configuration, names, dates).
import { TEXT, duration } from "./i18n.js";
import { api } from "./live.js";
import { cardOf } from "./callercard.js";

const $ = (id) => document.getElementById(id);
let config = null;
let desk = { token: "", seat: "", lang: "fr" };
let day = null;
let dayKey = "";
let ticking = 0;
let polling = 0;
const offered = new Set(); // calls whose disposition form this page already opened by itself

export function deskConfig() { return config; }

export async function loadDeskConfig(token) {
  if (!config) config = await api(token, "GET", "/desk/config");
  return config;
}

export function choiceName(choice, lang) {
  return choice.names[lang] || choice.names.fr || choice.names.en || Object.values(choice.names)[0] || choice.key;
}

export function shortTime(iso, lang) {
  const locale = lang === "ar" ? "ar-MA" : lang === "en" ? "en-GB" : "fr-FR";
  return new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short" }).format(new Date(iso));
}

function fillSelect(select, choices, lang, { blank = false } = {}) {
  const kept = select.value;
  select.replaceChildren(...(blank ? [new Option("–", "")] : []),
    ...choices.map((choice) => new Option(choiceName(choice, lang), choice.digit || choice.key)));
  if (kept) select.value = kept;
}

// -- the day card ---------------------------------------------------------------------------------------------

export async function startDesk({ token, seat, lang }) {
  desk = { token, seat, lang };
  await loadDeskConfig(token);
  setDeskLanguage(lang);
  await refreshDay();
  clearInterval(ticking);
  ticking = setInterval(tick, 1000);
  clearInterval(polling);
  polling = setInterval(refreshDay, 30000); // figures and a call too short for any snapshot to show it
}

export function setDeskLanguage(lang) {
  desk.lang = lang;
  if (!config) return;
  fillSelect($("disposition-outcome"), config.outcomes, lang);
  fillSelect($("disposition-type"), config.request_types, lang);
  if (day) renderDay();
}

// Called on every live snapshot: the day is fetched again only when this seat's states changed.
export function deskSnapshot(state) {
  if (!desk.seat) return;
  const mine = [];
  for (const queue of state.queues) {
    for (const member of queue.members) if (member.interface === `PJSIP/${desk.seat}`) mine.push(`${queue.name}:${member.state}:${member.paused_reason}`);
  }
  const key = mine.join("|");
  if (key !== dayKey) { dayKey = key; refreshDay(); }
}

let asking = 0; // only the answer to the latest question is shown, whatever order the answers come back in

export async function refreshDay() {
  if (!desk.seat) return;
  const ticket = ++asking;
  let fresh;
  try {
    fresh = await api(desk.token, "GET", `/agents/${encodeURIComponent(desk.seat)}/day`);
  } catch (failure) {
    if (ticket === asking) $("error").textContent = failure.message;
    return;
  }
  if (ticket !== asking) return;
  day = fresh;
  renderDay();
  offerDisposition(day.last_call);
}

// The seat's last queue call ended without a disposition: open the form for it (once per call and page).
function offerDisposition(last) {
  if (!last || last.disposed || offered.has(last.linkedid)) return;
  if (closing && closing.linkedid !== last.linkedid && !$("disposition").dataset.filed) return; // finish that one first
  offered.add(last.linkedid);
  const card = cardOf(last.linkedid);
  openDisposition({ linkedid: last.linkedid, uniqueid: last.uniqueid, number: last.number,
    language: (card && card.language) || last.language, request_type: (card && card.request_type) || "" });
}

function tick() {
  if (!day || !day.since) return;
  $("day-since").textContent = duration((Date.now() - new Date(day.since).getTime()) / 1000);
}

function renderDay() {
  const text = TEXT[desk.lang];
  const card = $("day");
  card.dataset.state = day.state;
  $("day-state").textContent = (text.states[day.state] || day.state) + (day.paused_reason ? ` — ${day.paused_reason}` : "");
  $("day-state").className = `state ${day.state}`;
  tick();
  if (!day.since) $("day-since").textContent = "";
  $("day-queues").replaceChildren(...day.queues.map((row) => {
    const item = document.createElement("li");
    item.dataset.queue = row.queue;
    const name = document.createElement("span");
    name.textContent = `${row.queue} · ${row.language || ""} · ${text.levels[row.skill] || row.skill}`;
    const state = document.createElement("span");
    state.className = `state ${row.state}`;
    state.textContent = text.states[row.state] || row.state;
    item.append(name, state);
    return item;
  }));
  const figures = day.figures;
  $("figure-calls").textContent = figures.calls_answered;
  $("figure-talk").textContent = duration(figures.talk_seconds);
  $("figure-aht").textContent = figures.average_handle_seconds === null ? "–" : duration(figures.average_handle_seconds);
  $("day-calls").replaceChildren(...day.calls.map((call) => {
    const item = document.createElement("li");
    item.dataset.linkedid = call.linkedid;
    const what = document.createElement("span");
    what.textContent = `${shortTime(call.started_at, desk.lang)} · ${call.caller_number} · ${call.language || ""}`;
    item.append(what);
    if (call.disposition) {
      const done = document.createElement("span");
      done.className = "state";
      done.textContent = choiceName(config.outcomes.find((o) => o.key === call.disposition) || { key: call.disposition, names: {} }, desk.lang);
      item.append(done);
    } else {
      const button = document.createElement("button");
      button.className = "secondary close-call";
      button.textContent = text.close;
      button.onclick = () => openDisposition({ linkedid: call.linkedid, uniqueid: "", number: call.caller_number, language: call.language || "", request_type: String(call.request_type || "") });
      item.append(button);
    }
    return item;
  }));
}

// -- the disposition form -------------------------------------------------------------------------------------

let closing = null;

export function openDisposition(call) {
  if (!call || !call.linkedid) return;
  closing = call;
  delete $("disposition").dataset.filed;
  $("disposition").classList.remove("hidden");
  $("disposition").dataset.linkedid = call.linkedid;
  $("disposition-call").textContent = `${call.number} · ${call.language}`;
  $("disposition-note").value = "";
  $("disposition-description").value = "";
  $("disposition-result").textContent = "";
  $("disposition-result").dataset.reference = "";
  if (call.request_type) $("disposition-type").value = call.request_type;
  followOutcome();
}

function followOutcome() {
  const outcome = config.outcomes.find((o) => o.key === $("disposition-outcome").value);
  $("disposition-open-request").checked = Boolean(outcome && outcome.proposes_request);
  followRequest();
}

function followRequest() {
  $("disposition-request").classList.toggle("hidden", !$("disposition-open-request").checked);
}

async function fileDisposition(event) {
  event.preventDefault();
  const body = {
    linkedid: closing.linkedid,
    uniqueid: closing.uniqueid || "",
    outcome: $("disposition-outcome").value,
    note: $("disposition-note").value,
    caller_number: closing.number || "",
    language: closing.language || null,
  };
  if ($("disposition-open-request").checked) {
    body.request = { request_type: Number($("disposition-type").value), description: $("disposition-description").value };
  }
  const result = $("disposition-result");
  try {
    const filed = await api(desk.token, "POST", `/agents/${encodeURIComponent(desk.seat)}/dispositions`, body);
    const text = TEXT[desk.lang];
    result.className = "";
    if (filed.request) {
      result.dataset.reference = filed.request.reference;
      result.dataset.due = filed.request.due_at;
      result.innerHTML = "";
      const link = document.createElement("a");
      link.href = `requests.html?ref=${encodeURIComponent(filed.request.reference)}`;
      link.className = "number";
      link.textContent = filed.request.reference;
      result.append(`${text.requestOpened} `, link, ` · ${text.due} ${shortTime(filed.request.due_at, desk.lang)}`);
    } else {
      result.textContent = "✓";
    }
    $("disposition").dataset.filed = closing.linkedid;
    await refreshDay();
  } catch (failure) {
    result.className = "error";
    result.textContent = failure.message;
  }
}

export function wireDisposition() {
  $("disposition-outcome").onchange = followOutcome;
  $("disposition-open-request").onchange = followRequest;
  $("disposition-form").onsubmit = fileDisposition;
}
