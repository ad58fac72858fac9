// Voice prompts (supervisors, admins): every prompt in every language with its text and source, playable; a new
// take recorded with the microphone (MediaRecorder) or uploaded from a file, heard, then accepted (stored on the
// server, which trims, normalises and rebuilds it in every codec) or discarded; a recording reverted to synthesis.
// Takes are decoded here (Web Audio) and sent as 16 kHz mono WAV: the server never has to read WebM or AAC, and a
// file the browser cannot decode is refused before it is sent.
import { PROMPT_TEXT } from "./prompts-text.js";
import { currentUser, request, requireSignIn, screenToken, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
const RATE = 16000;
let lang = ["fr", "ar", "en"].includes(localStorage.getItem("ivr-ui-lang")) ? localStorage.getItem("ivr-ui-lang") : "fr";
let view = { prompts: [], coverage: [], max_upload_bytes: 1048576 };
let take = null; // {language, key, wav: Blob}
let recorder = null;

const t = () => PROMPT_TEXT[lang];
const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");

function applyTexts() {
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  localStorage.setItem("ivr-ui-lang", lang);
  for (const node of document.querySelectorAll("[data-p]")) node.textContent = t()[node.dataset.p];
  document.title = t().title;
}

function button(label, onclick, className) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  if (className) node.className = className;
  node.onclick = onclick;
  return node;
}

function wavFrom(samples) {
  const data = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const text = (offset, value) => [...value].forEach((c, i) => data.setUint8(offset + i, c.charCodeAt(0)));
  text(0, "RIFF"); data.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVE");
  text(12, "fmt "); data.setUint32(16, 16, true); data.setUint16(20, 1, true); data.setUint16(22, 1, true);
  data.setUint32(24, RATE, true); data.setUint32(28, RATE * 2, true); data.setUint16(32, 2, true);
  data.setUint16(34, 16, true); text(36, "data"); data.setUint32(40, samples.length * 2, true);
  samples.forEach((value, i) => data.setInt16(44 + i * 2, Math.max(-1, Math.min(1, value)) * 32767, true));
  return new Blob([data.buffer], { type: "audio/wav" });
}

// Any audio the browser decodes -> 16 kHz mono WAV; throws on anything else.
async function toWav(blob) {
  const context = new AudioContext();
  let decoded;
  try { decoded = await context.decodeAudioData(await blob.arrayBuffer()); } finally { context.close(); }
  const offline = new OfflineAudioContext(1, Math.max(1, Math.ceil(decoded.duration * RATE)), RATE);
  const source = offline.createBufferSource();
  source.buffer = decoded;
  source.connect(offline.destination);
  source.start();
  const mono = await offline.startRendering();
  return { wav: wavFrom(mono.getChannelData(0)), seconds: decoded.duration };
}

async function offer(language, key, blob) {
  $("error").textContent = "";
  let converted;
  try { converted = await toWav(blob); } catch { $("error").textContent = t().notAudio; return; }
  if (converted.wav.size > view.max_upload_bytes) {
    $("error").textContent = fill(t().tooBig, { kb: Math.floor(view.max_upload_bytes / 1024) });
    return;
  }
  take = { language, key, wav: converted.wav };
  $("take-title").textContent = fill(t().takeOf, { lang: language, key });
  $("take-info").textContent = fill(t().takeInfo, { seconds: converted.seconds.toFixed(1), kb: Math.ceil(converted.wav.size / 1024) });
  $("take-audio").src = URL.createObjectURL(converted.wav);
  $("take").classList.remove("hidden");
  document.body.dataset.take = `${language}/${key}`;
}

async function send(method, path, body) {
  const headers = { "X-CSRF-Token": currentUser().csrf_token || "" };
  const bearer = screenToken();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body) headers["Content-Type"] = body.type;
  const response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not a problem body */ }
    throw new Error(`${response.status} ${detail}`);
  }
  return response.json();
}

async function act(work) {
  $("error").textContent = "";
  document.body.dataset.busy = "true";
  try { await work(); } catch (failure) { $("error").textContent = failure.message; }
  document.body.dataset.busy = "false";
  await load();
}

async function startRecording(language, key, node) {
  if (recorder) {
    recorder.stop();
    return;
  }
  $("error").textContent = "";
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (failure) {
    $("error").textContent = failure.message;
    return;
  }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (event) => chunks.push(event.data);
  recorder.onstop = async () => {
    stream.getTracks().forEach((track) => track.stop());
    recorder = null;
    node.classList.remove("recording");
    node.textContent = t().record;
    document.body.dataset.recording = "";
    await offer(language, key, new Blob(chunks, { type: chunks[0]?.type || "audio/webm" }));
  };
  recorder.start();
  node.classList.add("recording");
  node.textContent = t().stop;
  document.body.dataset.recording = `${language}/${key}`;
}

function sourceText(prompt) {
  const base = fill(t().sources[prompt.source], { lang: prompt.fallback_from || "" });
  const by = prompt.recorded_by ? ` ${fill(t().recordedBy, { by: prompt.recorded_by, at: prompt.recorded_at, via: prompt.recorded_via })}` : "";
  return base + by + (prompt.built ? "" : ` (${t().notBuilt})`);
}

function row(prompt) {
  const tr = document.createElement("tr");
  Object.assign(tr.dataset, { language: prompt.language, key: prompt.key, source: prompt.source });
  const cells = [String(prompt.number), prompt.language, prompt.key];
  for (const value of cells) {
    const td = document.createElement("td");
    td.textContent = value;
    tr.append(td);
  }
  const text = document.createElement("td");
  text.className = "text";
  text.textContent = prompt.text || "–";
  text.dir = "auto";
  if (prompt.latin) {
    const latin = document.createElement("span");
    latin.className = "latin";
    latin.textContent = prompt.latin;
    text.append(latin);
  }
  const source = document.createElement("td");
  source.className = "source";
  source.textContent = sourceText(prompt);
  const actions = document.createElement("td");
  actions.className = "actions";
  const path = `/prompts/${prompt.language}/${prompt.key}`;
  if (prompt.built) {
    actions.append(button(t().play, () => new Audio(`${path}/audio?at=${Date.now()}`).play(), "secondary play"));
  }
  const record = button(t().record, () => startRecording(prompt.language, prompt.key, record), "record");
  const file = document.createElement("input");
  file.type = "file";
  file.accept = "audio/*";
  file.onchange = () => {
    const chosen = file.files[0];
    if (!chosen) return;
    if (!chosen.type.startsWith("audio/")) { $("error").textContent = t().notAudio; return; }
    offer(prompt.language, prompt.key, chosen);
  };
  const upload = document.createElement("label");
  upload.className = "secondary upload";
  upload.textContent = t().upload;
  upload.append(file);
  actions.append(record, upload);
  if (prompt.source === "recorded") {
    actions.append(button(t().revert, () => act(() => send("DELETE", `${path}/recording`)), "secondary revert"));
  }
  tr.append(text, source, actions);
  return tr;
}

function render() {
  const chosen = $("filter").value;
  $("filter").replaceChildren(new Option(t().all, ""), ...view.coverage.map((c) => new Option(c.language, c.language)));
  $("filter").value = chosen;
  $("coverage").replaceChildren(...view.coverage.map((c) => {
    const item = document.createElement("li");
    item.dataset.language = c.language;
    item.textContent = `${c.language}: ${c.recorded}/${c.total}` + (c.fallback_from ? ` (${fill(t().sources.fallback, { lang: c.fallback_from })})` : "");
    return item;
  }));
  const shown = view.prompts.filter((p) => !$("filter").value || p.language === $("filter").value);
  $("prompts").tBodies[0].replaceChildren(...shown.map(row));
}

async function load() {
  try {
    view = await (await request("GET", "/prompts")).json();
  } catch (failure) {
    $("error").textContent = failure.status === 403 ? t().refused : failure.message;
    return;
  }
  render();
  document.body.dataset.loaded = "true";
}

$("lang").value = lang;
$("lang").onchange = () => { lang = $("lang").value; applyTexts(); render(); };
$("filter").onchange = render;
$("signout").onclick = signOut;
$("take-discard").onclick = () => { take = null; $("take").classList.add("hidden"); document.body.dataset.take = ""; };
$("take-accept").onclick = () => act(async () => {
  const chosen = take;
  take = null;
  $("take").classList.add("hidden");
  document.body.dataset.take = "";
  await send("PUT", `/prompts/${chosen.language}/${chosen.key}/recording`, chosen.wav);
});
applyTexts();
const me = await requireSignIn();
$("who").textContent = me.display_name || me.username;
await load();
