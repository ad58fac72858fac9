// The caller card: filled as soon as the seat rings (AgentCalled), kept while the call lasts. Shows the number,
// the language and request type chosen in the IVR, the reference keyed with that request's status, and the
// caller's previous calls and requests. The last card shown is what the disposition form is filled from.
import { TEXT } from "./i18n.js";
import { api } from "./live.js";
import { choiceName, deskConfig, shortTime } from "./desk.js";

const $ = (id) => document.getElementById(id);
const seen = new Map(); // linkedid -> the last card shown for that call (the disposition form starts from it)

export function cardOf(linkedid) { return seen.get(linkedid) || null; }

export async function fetchCallerCard(token, seat) {
  try {
    const view = await api(token, "GET", `/agents/${encodeURIComponent(seat)}`);
    return view.caller;
  } catch (failure) {
    $("error").textContent = failure.message;
    return undefined;
  }
}

export function renderCallerCard(context, lang) {
  const text = TEXT[lang];
  $("caller").classList.toggle("hidden", !context);
  $("no-call").classList.toggle("hidden", Boolean(context));
  const card = $("caller-card");
  card.dataset.ringing = context && context.ringing ? "true" : "false";
  card.dataset.linkedid = context ? context.linkedid : "";
  $("caller-ringing").classList.toggle("hidden", !(context && context.ringing));
  if (!context) return;
  seen.set(context.linkedid, context);
  if (seen.size > 20) seen.delete(seen.keys().next().value);
  $("caller-number").textContent = context.number;
  $("caller-language").textContent = context.language;
  const kind = (deskConfig()?.request_types || []).find((type) => type.digit === context.request_type);
  $("caller-request").textContent = kind ? choiceName(kind, lang) : context.request_type;
  $("caller-reference").textContent = context.reference;
  const status = $("caller-reference-status");
  status.textContent = context.reference_status ? text.statuses[context.reference_status] || context.reference_status : "";
  status.dataset.status = context.reference_status || "";
  $("previous").replaceChildren(...context.previous_calls.map((call) => {
    const item = document.createElement("li");
    item.textContent = `${shortTime(call.started_at, lang)} · ${call.language || ""} · ${call.request_type || ""} · ${call.outcome}`;
    return item;
  }));
  $("previous-requests").replaceChildren(...context.previous_requests.map((request) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = `requests.html?ref=${encodeURIComponent(request.reference)}`;
    link.target = "_blank";
    link.className = "number";
    link.textContent = request.reference;
    const status = document.createElement("span");
    status.className = `state ${request.status}`;
    status.textContent = text.statuses[request.status] || request.status;
    item.dataset.reference = request.reference;
    item.append(link, status);
    return item;
  }));
}
