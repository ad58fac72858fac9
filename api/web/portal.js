// The citizens' portal: a request with photos and a place, kept on the phone while offline and sent when the
// network is back (IndexedDB outbox); following a request by its reference; the satisfaction question of a
// closed request; a chat with an agent.
// No sign-in. Installable (portal.webmanifest, portal-sw.js).
import { PORTAL_TEXT } from "./portal-text.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let lang = params.get("lang") || localStorage.getItem("portal-lang") || (navigator.language || "fr").slice(0, 2);
if (!PORTAL_TEXT[lang]) lang = "fr";
let position = null;
let requestTypes = [];
let categories = [];  // GET /portal/config: the complaint categories, each with the request types it goes with

function t(key, values = {}) {
  const text = PORTAL_TEXT[lang][key] || PORTAL_TEXT.fr[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

function applyLanguage() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  $("lang").value = lang;
  fillTypes();
  fillCategories();
  showNetwork();
  showFollowed();
}

function fillTypes() {
  const chosen = $("type").value;
  $("type").replaceChildren(...requestTypes.map((kind) => {
    const option = document.createElement("option");
    option.value = String(kind.number);
    option.textContent = kind.names[lang] || kind.names.fr || Object.values(kind.names)[0] || kind.key;
    return option;
  }));
  if (chosen) $("type").value = chosen;
}

// The categories of the chosen request type, in the page's language; hidden (and sent as none) for a type without.
function fillCategories() {
  const chosen = $("category").value;
  const type = Number($("type").value);
  const offered = categories.filter((category) => category.request_types.includes(type));
  const unsure = new Option(t("categoryUnsure"), "");
  $("category").replaceChildren(unsure, ...offered.map((category) => new Option(
    category.names[lang] || category.names.fr || Object.values(category.names)[0] || category.key, category.key)));
  $("category").value = offered.some((category) => category.key === chosen) ? chosen : "";
  $("category-field").classList.toggle("hidden", offered.length === 0);
}

function clearForm() {
  $("request-form").reset();
  fillCategories();
}

function showNetwork() {
  $("network").textContent = navigator.onLine ? t("online") : t("offline");
}

// -- the outbox: forms waiting for the network (IndexedDB keeps the photos as Blobs) --------------------------

function database() {
  return new Promise((resolve, reject) => {
    const opening = indexedDB.open("portal", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
}

async function store(mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const transaction = db.transaction("outbox", mode);
    const result = work(transaction.objectStore("outbox"));
    transaction.oncomplete = () => resolve(result.result);
    transaction.onerror = () => reject(transaction.error);
  });
}

const queue = (entry) => store("readwrite", (outbox) => outbox.add(entry));
const queued = () => store("readonly", (outbox) => outbox.getAll());
const unqueue = (id) => store("readwrite", (outbox) => outbox.delete(id));

async function showQueued() {
  const entries = await queued();
  $("queued").replaceChildren(...entries.map((entry) => {
    const item = document.createElement("li");
    item.textContent = t("waitingToSend", { description: entry.fields.description.slice(0, 60) });
    return item;
  }));
}

function standalone() {
  return window.matchMedia("(display-mode: standalone)").matches;
}

async function post(entry) {
  const body = new FormData();
  for (const [name, value] of Object.entries(entry.fields)) if (value !== "" && value !== null) body.append(name, value);
  for (const photo of entry.photos) body.append("photos", photo.blob, photo.name);
  const response = await fetch("/portal/requests/form", { method: "POST", body });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not a problem body */ }
    const error = new Error(detail);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// Send what waits, oldest first; a network failure stops (the rest waits for the next "online").
let flushing = false;
async function flush() {
  if (flushing) return;
  flushing = true;
  try {
    for (const entry of await queued()) {
      try {
        const created = await post(entry);
        await unqueue(entry.id);
        $("result").textContent = t("sent", { reference: created.reference });
      } catch (error) {
        if (error.status === undefined || error.status === 429) break;  // offline, or later
        await unqueue(entry.id);  // refused for good (a bad photo): say why, do not retry forever
        $("result").textContent = error.message;
      }
    }
  } finally {
    flushing = false;
    await showQueued();
  }
}

async function submitForm(event) {
  event.preventDefault();
  const fields = {
    request_type: $("type").value, description: $("description").value, contact: $("contact").value,
    category: $("category-field").classList.contains("hidden") ? "" : $("category").value,
    location_text: $("location").value, language: lang, channel: standalone() ? "pwa" : "web",
    latitude: position ? String(position.lat) : "", longitude: position ? String(position.lon) : "",
  };
  const photos = [...$("photos").files].map((file) => ({ blob: file, name: file.name }));
  const entry = { fields, photos };
  try {
    if (!navigator.onLine) throw new TypeError("offline");
    const created = await post(entry);
    $("result").textContent = t("sent", { reference: created.reference });
    clearForm();
  } catch (error) {
    if (error.status !== undefined) {
      $("result").textContent = error.message;
      return;
    }
    entry.fields.channel = "pwa";  // kept by the installed portal's outbox
    await queue(entry);
    $("result").textContent = t("queued");
    clearForm();
    await showQueued();
  }
}

function locate() {
  if (!navigator.geolocation) {
    $("position").textContent = t("positionFailed");
    return;
  }
  navigator.geolocation.getCurrentPosition((found) => {
    position = { lat: Number(found.coords.latitude.toFixed(6)), lon: Number(found.coords.longitude.toFixed(6)) };
    $("position").textContent = t("positionFound", position);
  }, () => { $("position").textContent = t("positionFailed"); }, { enableHighAccuracy: true, timeout: 15000 });
}

// -- satisfaction (the link of the closing message: ?ref=...&satisfaction=token) ------------------------------

function setUpSatisfaction() {
  const reference = params.get("ref");
  const token = params.get("satisfaction");
  if (!reference || !token) return;
  $("satisfaction").classList.remove("hidden");
  $("rating").append(...[1, 2, 3, 4, 5].map((value) => {
    const label = document.createElement("label");
    const input = document.createElement("input");
    Object.assign(input, { type: "radio", name: "rating", value: String(value), required: true });
    label.append(input, ` ${value}`);
    return label;
  }));
  $("satisfaction-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const rating = Number(new FormData($("satisfaction-form")).get("rating"));
    const response = await fetch(`/portal/requests/${encodeURIComponent(reference)}/satisfaction`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token, rating, comment: $("satisfaction-comment").value }),
    });
    $("satisfaction-result").textContent = response.ok ? t("thanks") : (await response.json()).detail;
    if (response.ok) $("satisfaction-form").classList.add("hidden");
  });
}

// -- follow a request by its reference (GET /portal/requests/{reference}: no personal data) -------------------

let followed = null;

function showFollowed() {
  if (!followed) return;
  const date = (value) => (value ? new Date(value).toLocaleDateString(lang, { dateStyle: "long" }) : "");
  const facts = [["reference", followed.reference], ["status", t(`status_${followed.status}`)],
    ["received", date(followed.received_at)], ["due", followed.closed_at ? "" : date(followed.due_at)],
    ["answered", date(followed.answered_at)], ["closed", date(followed.closed_at)], ["answer", followed.answer || ""]];
  $("follow-facts").replaceChildren(...facts.filter(([, value]) => value).flatMap(([key, value]) => {
    const term = document.createElement("dt");
    const detail = document.createElement("dd");
    term.textContent = t(key);
    detail.textContent = value;
    detail.dataset.fact = key;
    return [term, detail];
  }));
  $("follow-facts").classList.remove("hidden");
}

async function follow(event) {
  event?.preventDefault();
  const reference = $("follow-reference").value.trim();
  followed = null;
  $("follow-facts").classList.add("hidden");
  $("follow-result").textContent = "";
  const response = await fetch(`/portal/requests/${encodeURIComponent(reference)}`);
  if (response.ok) {
    followed = await response.json();
    showFollowed();
  } else {
    $("follow-result").textContent = t(response.status === 429 ? "followBusy" : "followUnknown");
  }
}

// -- chat -------------------------------------------------------------------------------------------------------

let chat = null;

function chatLine(who, text, className = "") {
  const item = document.createElement("li");
  item.className = className;
  item.textContent = `${who}: ${text}`;
  $("chat-messages").append(item);
  item.scrollIntoView({ block: "nearest" });
}

function openChat() {
  $("chat-panel").classList.remove("hidden");
  $("chat-open").classList.add("hidden");
  $("chat-state").textContent = t("chatFirst");
  $("chat-text").focus();
}

function sendChat(event) {
  event.preventDefault();
  const text = $("chat-text").value.trim();
  if (!text) return;
  $("chat-text").value = "";
  if (chat === null) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    chat = new WebSocket(`${scheme}://${location.host}/portal/chat/ws`);
    chat.addEventListener("open", () => {
      chat.send(JSON.stringify({ type: "start", language: lang, contact: $("contact").value, text }));
    });
    chat.addEventListener("message", (message) => chatEvent(JSON.parse(message.data)));
    chat.addEventListener("close", () => { chat = null; });
    return;
  }
  chat.send(JSON.stringify({ type: "message", text }));
}

function chatEvent(event) {
  if (event.type === "started") $("chat-state").textContent = t("chatReference", { reference: event.reference });
  if (event.type === "waiting") $("chat-state").textContent = t("chatWaiting");
  if (event.type === "joined") $("chat-state").textContent = t("chatJoined", { agent: event.agent });
  if (event.type === "message") {
    chatLine(event.from === "agent" ? t("agent") : t("you"), event.text, event.from);
  }
  if (event.type === "ended" || event.type === "error") {
    $("chat-state").textContent = event.detail || t("chatEnded");
    if (chat) chat.close();
  }
}

function endChat() {
  if (chat) chat.send(JSON.stringify({ type: "end" }));
}

// -- start ------------------------------------------------------------------------------------------------------

async function start() {
  // a public page keeps nothing in its fragment (a staff token pasted by mistake leaves the address bar)
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  $("lang").addEventListener("change", () => {
    lang = $("lang").value;
    localStorage.setItem("portal-lang", lang);
    applyLanguage();
  });
  $("request-form").addEventListener("submit", submitForm);
  $("type").addEventListener("change", fillCategories);
  $("locate").addEventListener("click", locate);
  $("chat-open").addEventListener("click", openChat);
  $("chat-form").addEventListener("submit", sendChat);
  $("chat-end").addEventListener("click", endChat);
  window.addEventListener("online", () => { showNetwork(); flush(); });
  window.addEventListener("offline", showNetwork);
  setUpSatisfaction();
  $("follow-form").addEventListener("submit", follow);
  applyLanguage();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("portal-sw.js").catch(() => {});
  try {
    const config = await (await fetch("/portal/config")).json();
    requestTypes = config.request_types;
    categories = config.categories || [];
    localStorage.setItem("portal-config", JSON.stringify(config));
  } catch {  // offline: the choices of the last visit
    const kept = JSON.parse(localStorage.getItem("portal-config") || "{\"request_types\": []}");
    requestTypes = kept.request_types;
    categories = kept.categories || [];
  }
  fillTypes();
  fillCategories();
  if (params.get("ref")) {
    $("follow-reference").value = params.get("ref");
    if (navigator.onLine) await follow();
  }
  await showQueued();
  if (navigator.onLine) await flush();
  document.body.dataset.ready = "1";
}

start();
