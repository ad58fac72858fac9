// The request desk: the requests of my queues with filters (deadline, status, type, language), one request's
// history and notes, its voice message played in the page, its channel, place and files (to whoever may see the
// request), answering it, and calling the citizen back from my
// seat. "My queues" are the language queues my seat is a member of now (the live state); ?ref= opens one request.
import { TEXT, applyLanguage, chooseLanguage } from "./i18n.js";
import { api, connectLive, takeToken } from "./live.js";
import { choiceName, loadDeskConfig, shortTime } from "./desk.js";
import { showNotifications } from "./notifications.js";
import { request, requireSignIn, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
const STATUSES = ["new", "in_progress", "answered", "closed"];
const token = takeToken();
let lang = chooseLanguage();
let seat = new URLSearchParams(location.search).get("seat");
let config = null;
let myLanguages = [];
let current = null;
let recordingUrl = "";
let fileUrls = [];
let listing = 0; // only the answer to the latest filters is shown, whatever order the answers come back in

$("lang").value = lang;
$("lang").onchange = () => { lang = $("lang").value; applyLanguage(lang); fillFilters(); listRequests(); if (current) showRequest(current.reference); };

function fillFilters() {
  const text = TEXT[lang];
  const keep = (select, options) => { const value = select.value; select.replaceChildren(...options); if (value) select.value = value; };
  keep($("filter-due"), Object.entries(text.dueFilters).map(([key, label]) => new Option(label, key)));
  keep($("filter-status"), [new Option(text.any, ""), ...STATUSES.map((key) => new Option(text.statuses[key], key))]);
  keep($("filter-type"), [new Option(text.any, ""), ...config.request_types.map((kind) => new Option(choiceName(kind, lang), kind.digit))]);
  keep($("filter-language"), [new Option(text.mine, "mine"), new Option(text.any, ""), ...config.languages.map((language) => new Option(language.name, language.code))]);
  keep($("answer-status"), STATUSES.map((key) => new Option(text.statuses[key], key)));
}

function query() {
  const params = new URLSearchParams({ due: $("filter-due").value || "open" });
  if ($("filter-status").value) params.append("status", $("filter-status").value);
  if ($("filter-type").value) params.set("type", $("filter-type").value);
  const language = $("filter-language").value;
  if (language === "mine") for (const code of myLanguages) params.append("language", code);
  else if (language) params.append("language", language);
  return params;
}

async function listRequests() {
  if (!config) return;
  const ticket = ++listing;
  $("desk-error").textContent = "";
  const language = $("filter-language").value;
  let items = [];
  if (language !== "mine" || myLanguages.length) {
    try {
      items = (await api(token, "GET", `/requests?${query()}`)).items;
    } catch (failure) {
      if (ticket === listing) $("desk-error").textContent = failure.message;
      return;
    }
  }
  if (ticket !== listing) return;
  const text = TEXT[lang];
  $("no-requests").classList.toggle("hidden", items.length > 0);
  $("requests").replaceChildren(...items.map((item) => {
    const row = document.createElement("li");
    row.dataset.reference = item.reference;
    row.dataset.due = item.due_at;
    row.dataset.status = item.status;
    row.classList.toggle("overdue", item.overdue);
    row.classList.toggle("selected", current && current.reference === item.reference);
    const kind = config.request_types.find((type) => type.key === item.type_key);
    const what = document.createElement("button");
    what.className = "link";
    what.textContent = `${item.reference} · ${kind ? choiceName(kind, lang) : item.type_key} · ${item.language || ""}`;
    what.onclick = () => showRequest(item.reference);
    const when = document.createElement("span");
    when.className = `state ${item.status}`;
    when.textContent = `${text.statuses[item.status]} · ${shortTime(item.due_at, lang)}${item.overdue ? ` · ${text.overdue}` : ""}`;
    row.append(what, when);
    return row;
  }));
}

async function showRequest(reference) {
  $("request-error").textContent = "";
  try {
    current = await api(token, "GET", `/requests/${encodeURIComponent(reference)}`);
  } catch (failure) {
    $("desk-error").textContent = failure.message;
    return;
  }
  const text = TEXT[lang];
  const card = $("request");
  card.classList.remove("hidden");
  card.dataset.reference = current.reference;
  card.dataset.due = current.due_at;
  card.dataset.status = current.status;
  $("request-reference").textContent = current.reference;
  $("request-status").textContent = text.statuses[current.status];
  $("request-status").className = `state ${current.status}`;
  const kind = config.request_types.find((type) => type.key === current.type_key);
  $("request-type").textContent = kind ? choiceName(kind, lang) : current.type_key;
  $("request-language").textContent = current.language || "";
  $("request-number").textContent = current.caller_number || current.contact;
  $("request-due").textContent = shortTime(current.due_at, lang) + (current.overdue ? ` · ${text.overdue}` : "");
  $("request-description").textContent = current.description;
  $("request-channel").textContent = text.channels[current.channel || current.source] || current.channel || current.source;
  showPlace(text);
  $("answer-status").value = current.status === "new" ? "answered" : current.status;
  // a request in the complaint workflow (or correcting one) moves only there: POST .../status refuses it
  $("answer-form").classList.toggle("hidden", Boolean(current.workflow_reference));
  $("answer-workflow").classList.toggle("hidden", !current.workflow_reference);
  $("request-history").replaceChildren(...current.history.map((event) => {
    const item = document.createElement("li");
    item.dataset.action = event.action;
    const what = document.createElement("span");
    const moved = event.to_status ? `${event.from_status ? `${text.statuses[event.from_status]} → ` : ""}${text.statuses[event.to_status]}` : "";
    what.textContent = [moved, event.note].filter(Boolean).join(" · ");
    what.className = "prewrap";
    const who = document.createElement("span");
    who.className = "muted";
    who.textContent = `${event.actor} · ${shortTime(event.at, lang)}`;
    item.append(what, who);
    return item;
  }));
  showNotifications($("request-notifications"), current.notifications, {
    notices: text.notices, lang, empty: $("no-notifications"),
    retry: async (id) => { if (await act("POST", `/requests/${current.reference}/notifications/${id}/retry`)) await showRequest(current.reference); },
  });
  await loadRecording();
  await loadFiles();
  for (const row of document.querySelectorAll("#requests li")) row.classList.toggle("selected", row.dataset.reference === current.reference);
}

// Fetched as the signed-in person (session.js: the cookie, or a screen's token) and played from a blob, so a
// failure shows as an error here instead of a silent, empty player.
async function loadRecording() {
  const audio = $("recording");
  if (recordingUrl) { URL.revokeObjectURL(recordingUrl); recordingUrl = ""; }
  audio.removeAttribute("src");
  $("request-recording").classList.toggle("hidden", !current.has_recording);
  if (!current.has_recording) return;
  let response;
  try { response = await request("GET", `/requests/${encodeURIComponent(current.reference)}/recording`); } catch (failure) { $("request-error").textContent = failure.message; return; }
  recordingUrl = URL.createObjectURL(await response.blob());
  audio.src = recordingUrl;
}

// Where the citizen placed it: their words, and the phone's coordinates with a link to OpenStreetMap.
function showPlace(text) {
  const parts = [];
  if (current.location_text) parts.push(current.location_text);
  if (current.latitude !== null && current.longitude !== null && current.latitude !== undefined) {
    const [lat, lon] = [Number(current.latitude).toFixed(6), Number(current.longitude).toFixed(6)];
    const link = document.createElement("a");
    link.href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=18/${lat}/${lon}`;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = `${lat}, ${lon} (${text.openMap})`;
    parts.push(link);
  }
  $("request-place").replaceChildren(...parts.flatMap((part, index) => (index ? [" · ", part] : [part])));
}

// The request's files (photos, scans, mail attachments), fetched as the signed-in person: pictures shown, other
// files offered for download.
async function loadFiles() {
  for (const url of fileUrls) URL.revokeObjectURL(url);
  fileUrls = [];
  const shown = current.reference;
  let files;
  try { files = await api(token, "GET", `/requests/${encodeURIComponent(shown)}/attachments`); } catch (failure) { $("request-error").textContent = failure.message; return; }
  if (!current || current.reference !== shown) return;
  $("request-files").classList.toggle("hidden", files.items.length === 0);
  const items = await Promise.all(files.items.map(async (file) => {
    const item = document.createElement("li");
    item.dataset.attachment = String(file.id);
    let blob = null;
    try { blob = await (await request("GET", `/requests/${encodeURIComponent(shown)}/attachments/${file.id}`)).blob(); } catch (failure) { item.textContent = `${file.filename}: ${failure.message}`; return item; }
    const url = URL.createObjectURL(blob);
    fileUrls.push(url);
    const link = document.createElement("a");
    link.href = url;
    link.download = file.filename;
    link.textContent = `${file.filename} (${Math.ceil(file.size / 1024)} KiB)`;
    if (file.media_type.startsWith("image/")) {
      const picture = document.createElement("img");
      Object.assign(picture, { src: url, alt: file.filename, className: "attachment" });
      item.append(picture, document.createElement("br"));
    }
    item.append(link);
    return item;
  }));
  $("attachments").replaceChildren(...items);
}

async function act(method, path, body) {
  $("request-error").textContent = "";
  try { return await api(token, method, path, body); } catch (failure) { $("request-error").textContent = failure.message; return null; }
}

$("answer-form").onsubmit = async (event) => {
  event.preventDefault();
  const changed = await act("POST", `/requests/${current.reference}/status`, { status: $("answer-status").value, note: $("answer-text").value });
  if (changed) { $("answer-text").value = ""; await showRequest(current.reference); await listRequests(); }
};
$("note-form").onsubmit = async (event) => {
  event.preventDefault();
  const added = await act("POST", `/requests/${current.reference}/notes`, { note: $("note-text").value });
  if (added !== null) { $("note-text").value = ""; await showRequest(current.reference); }
};
$("call-back").onclick = async () => {
  const started = await act("POST", `/requests/${current.reference}/call-back`, { seat });
  $("call-back-result").textContent = started ? `${TEXT[lang].callingBack} (${started.number})` : "";
  if (started) await showRequest(current.reference);
};
$("filters").onchange = () => listRequests();
$("signout").onclick = () => signOut();

function languagesOf(state) {
  const queues = new Set(state.queues.filter((queue) => queue.members.some((member) => member.interface === `PJSIP/${seat}`)).map((queue) => queue.name));
  return config.languages.filter((language) => queues.has(language.queue)).map((language) => language.code).sort();
}

async function start() {
  try {
    config = await loadDeskConfig(token);
  } catch (failure) {
    $("desk-error").textContent = failure.message;
    return;
  }
  fillFilters();
  const wanted = new URLSearchParams(location.search);
  for (const [param, id] of [["due", "filter-due"], ["status", "filter-status"], ["type", "filter-type"], ["language", "filter-language"]]) {
    if (wanted.get(param) !== null) $(id).value = wanted.get(param);
  }
  if (wanted.get("ref")) showRequest(wanted.get("ref"));
  connectLive(token, {
    onHello: (hello) => {
      seat = seat || hello.seat;
      $("seat").textContent = seat || "";
      // supervisors belong to no queue: they start with every language
      if (hello.role !== "agent" && wanted.get("language") === null && !new URLSearchParams(location.search).get("seat")) $("filter-language").value = "";
      listRequests();
    },
    onState: (state) => {
      const languages = languagesOf(state);
      if (languages.join() !== myLanguages.join()) { myLanguages = languages; listRequests(); }
    },
    onStatus: (ok, code) => {
      $("status").textContent = ok ? TEXT[lang].connected : TEXT[lang].disconnected;
      if (code === 4403) $("desk-error").textContent = TEXT[lang].disconnected;
    },
  });
}

await requireSignIn();
start();
