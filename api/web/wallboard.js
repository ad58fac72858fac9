// Wallboard: the centre's totals, one card per queue (titled with its language's own name), and the agent grid
// (one row per seat). Rules:
// - Incremental: each snapshot updates the nodes built for it (a text is written only when it changed; a card or
//   a row is created once and removed when it disappears). No full redraw per event: with 1,000 agents a
//   snapshot costs only the cells that changed (benchmarks/wallboard.py).
// - Times tick on locally between snapshots (waits, time in state, talk time), and so do the alerts that depend
//   on them (wallboard-rules.js): a caller waiting past the limit turns red with no event at all.
// - Thresholds come from the call-center file ([supervision]) through GET /supervision/board. A cell in alert is
//   red and marked data-alert; the header counts the alerts; a beep sounds when their number grows, if the file
//   asks for it and this screen has not muted it.
// - Supervisors listen to, whisper to or barge into an agent's call from the grid: their own seat rings first.
import { TEXT, applyLanguage, chooseLanguage } from "./i18n.js";
import { connectLive, takeToken } from "./live.js";
import { api, currentUser, requireSignIn, signOut } from "./session.js";
import { agentAlert, clock, figureAlerts, percent, rate } from "./wallboard-rules.js";

const CALLERS_SHOWN = 8; // per card; the rest is counted ("+12 more")
const SOUND_KEY = "ivr-wallboard-sound";
let lang = chooseLanguage();
let last = null;
let received = 0;
let limits = {
  service_level_target_percent: 80, longest_wait_limit_s: 120, abandon_rate_limit_percent: 10,
  paused_limit_s: 900, sound_alert: false,
};
let titles = {}; // queue -> {name, english_name}
let alertCount = 0;
let sound = false;
const cards = new Map(); // queue name -> {card, parts}
const rows = new Map(); // interface -> {row, cells}
const picker = document.getElementById("lang");
picker.value = lang;
picker.onchange = () => {
  lang = picker.value;
  applyLanguage(lang);
  for (const { row } of rows.values()) row.dataset.label = ""; // state labels are language-dependent
  if (last) render(last);
  showSound();
};

function setText(node, value) {
  const text = String(value);
  if (node.textContent !== text) node.textContent = text;
}

function setFlag(node, name, on) {
  const value = on ? "yes" : "no";
  if (node.dataset[name] !== value) node.dataset[name] = value;
}

function translate(root) {
  for (const node of root.querySelectorAll("[data-t]")) node.textContent = TEXT[lang][node.dataset.t] ?? "";
}

function status(ok, code) {
  const node = document.getElementById("status");
  const ami = last && last.ami ? ` · ${TEXT[lang].ami}: ${last.ami.status}` : "";
  node.textContent = (ok ? TEXT[lang].connected : TEXT[lang].disconnected) + ami;
  node.dataset.connected = ok ? "yes" : "no";
  if (code === 4403) node.dataset.refused = "yes";
}

// -- totals -----------------------------------------------------------------------------------------------------

function totalsFigure(name) {
  return document.querySelector(`#totals [data-figure="${name}"]`);
}

function renderTotals(totals) {
  const agents = totals.agents || {};
  setText(totalsFigure("waiting").firstElementChild, totals.waiting);
  const longest = totalsFigure("longest").firstElementChild;
  longest.dataset.base = totals.waiting ? totals.longest_wait_s : "";
  setText(longest, clock(totals.waiting ? totals.longest_wait_s : 0));
  setText(totalsFigure("answered").firstElementChild, totals.answered_today);
  setText(totalsFigure("abandoned").firstElementChild, totals.abandoned_today);
  setText(totalsFigure("abandon").firstElementChild, percent(totals.abandon_rate));
  setText(totalsFigure("service").firstElementChild, percent(totals.service_level_today));
  setText(totalsFigure("callbacks").firstElementChild, totals.callbacks_today);
  setText(totalsFigure("available").firstElementChild, agents.available ?? 0);
  setText(totalsFigure("on_call").firstElementChild, agents.on_call ?? 0);
  setText(totalsFigure("paused").firstElementChild, agents.paused ?? 0);
}

// -- queue cards ------------------------------------------------------------------------------------------------

function queueCard(name) {
  let entry = cards.get(name);
  if (entry) return entry;
  const card = document.getElementById("queue-card").content.firstElementChild.cloneNode(true);
  card.dataset.queue = name;
  translate(card); // before it is shown: every card's labels, the last one's included
  const parts = {};
  for (const key of ["name", "code", "waiting-count", "longest", "estimated", "service", "offered", "answered",
    "abandoned", "available-count", "callbacks", "callers", "more-callers"]) {
    parts[key] = card.querySelector(`.${key}`);
  }
  parts.spark = card.querySelector(".spark polyline");
  entry = { card, parts, spark: "" };
  cards.set(name, entry);
  return entry;
}

// A queue a configuration reload added (or renamed) after this page loaded has no title yet: ask the board again,
// once per change (another API process may not have reloaded yet: then the live state's label stays).
let titlesAsked = "";
async function refreshTitles(queues) {
  const untitled = queues.filter((queue) => queue.label && (!titles[queue.name] || titles[queue.name].name !== queue.label));
  const wanted = untitled.map((queue) => `${queue.name}=${queue.label}`).sort().join("|");
  if (!untitled.length || wanted === titlesAsked) return;
  titlesAsked = wanted;
  try {
    const board = await api("GET", "/supervision/board");
    titles = Object.fromEntries(board.queues.map((queue) => [queue.queue, queue]));
  } catch { return; /* the live state's labels meanwhile */ }
  if (last) render(last);
}

function cardTitle(name, label) {
  const title = titles[name];
  if (!title) return label || name; // a queue added by a reload since the page loaded: the live state's label
  return lang === "en" ? title.english_name : title.name;
}

function renderCard(queue, order) {
  const { card, parts, ...entry } = queueCard(queue.name);
  const main = document.getElementById("queues");
  if (main.children[order] !== card) main.insertBefore(card, main.children[order] || null);
  setText(parts.name, cardTitle(queue.name, queue.label));
  setText(parts.code, titles[queue.name] ? queue.name : "");
  const count = queue.waiting_count ?? queue.waiting.length;
  setText(parts["waiting-count"], count);
  parts.longest.dataset.base = count ? queue.longest_wait_s : "";
  setText(parts.longest, clock(count ? queue.longest_wait_s : 0));
  setText(parts.estimated, queue.estimated_wait_s == null ? "–" : clock(queue.estimated_wait_s));
  setText(parts.service, percent(queue.service_level_today));
  parts.service.title = percent(rate(queue.abandoned_today, queue.answered_today + queue.abandoned_today));
  setText(parts.offered, queue.offered_today);
  setText(parts.answered, queue.answered_today);
  setText(parts.abandoned, queue.abandoned_today);
  setText(parts["available-count"], queue.members.filter((m) => m.state === "available").length);
  setText(parts.callbacks, queue.callbacks_today);
  const spark = (queue.sparkline || []).join(",");
  if (spark !== cards.get(queue.name).spark) {
    cards.get(queue.name).spark = spark;
    drawSpark(parts.spark, queue.sparkline || []);
  }
  renderCallers(parts.callers, parts["more-callers"], queue.waiting, count);
  return entry;
}

function drawSpark(line, values) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 120 / (values.length - 1) : 0;
  line.setAttribute("points", values.map((v, i) => `${(i * step).toFixed(1)},${(22 - (20 * v) / max).toFixed(1)}`).join(" "));
  line.parentElement.dataset.values = values.join(",");
}

function renderCallers(list, more, waiting, count) {
  const shown = waiting.slice(0, CALLERS_SHOWN);
  const keep = new Set(shown.map((c) => `${c.number}|${c.joined_at}`));
  for (const item of [...list.children]) if (!keep.has(item.dataset.key)) item.remove();
  const existing = new Map([...list.children].map((item) => [item.dataset.key, item]));
  shown.forEach((caller, index) => {
    const key = `${caller.number}|${caller.joined_at}`;
    let item = existing.get(key);
    if (!item) {
      item = document.createElement("li");
      item.className = "caller";
      item.dataset.key = key;
      item.dataset.number = caller.number;
      item.innerHTML = '<span><b class="position"></b> <span class="number"></span> <small class="lang"></small></span><span class="wait"></span>';
      item.querySelector(".number").textContent = caller.number;
      item.querySelector(".lang").textContent = caller.language || "";
    }
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] || null);
    setText(item.querySelector(".position"), `${caller.position}.`);
    const wait = item.querySelector(".wait");
    wait.dataset.base = caller.wait_s;
    setText(wait, clock(caller.wait_s));
  });
  const rest = count - shown.length;
  setText(more, rest > 0 ? TEXT[lang].more.replace("{n}", rest) : "");
}

// -- agent grid -------------------------------------------------------------------------------------------------

function agentRow(agent) {
  let entry = rows.get(agent.interface);
  if (entry) return entry;
  const row = document.getElementById("agent-row").content.firstElementChild.cloneNode(true);
  row.dataset.interface = agent.interface;
  translate(row);
  const cells = {};
  for (const key of ["who", "state", "since", "reason", "call-queue", "talk", "calls", "aht"]) {
    cells[key] = row.querySelector(`.${key}`);
  }
  for (const button of row.querySelectorAll("button[data-mode]")) {
    button.onclick = () => spy(agent.interface, button.dataset.mode);
  }
  entry = { row, cells };
  rows.set(agent.interface, entry);
  return entry;
}

// The rows carry instants (state_since, talk_since: epoch seconds); durations count from the snapshot's `at`.
function since(epoch, at) {
  return epoch == null ? null : Math.max(0, Math.round(at - epoch));
}

function renderAgents(agents, at) {
  const body = document.querySelector("#agents tbody");
  const seen = new Set();
  agents.forEach((agent, index) => {
    seen.add(agent.interface);
    const { row, cells } = agentRow(agent);
    if (body.children[index] !== row) body.insertBefore(row, body.children[index] || null);
    setText(cells.who, agent.name);
    if (row.dataset.state !== agent.state || row.dataset.label !== lang) {
      row.dataset.state = agent.state;
      row.dataset.label = lang;
      cells.state.className = `state ${agent.state}`;
      setText(cells.state, TEXT[lang].states[agent.state] || agent.state);
    }
    const inState = since(agent.state_since, at);
    cells.since.dataset.base = inState ?? "";
    setText(cells.since, inState == null ? "–" : clock(inState));
    setText(cells.reason, agent.paused_reason || "");
    setText(cells["call-queue"], agent.talk_queue ? cardTitle(agent.talk_queue) : "");
    const talk = since(agent.talk_since, at);
    cells.talk.dataset.base = talk ?? "";
    setText(cells.talk, talk == null ? "" : clock(talk));
    setText(cells.calls, agent.calls_today);
    setText(cells.aht, agent.avg_handle_s == null ? "–" : clock(agent.avg_handle_s));
    for (const button of row.querySelectorAll("button[data-mode]")) button.disabled = agent.state !== "on_call";
  });
  for (const [key, { row }] of rows) {
    if (!seen.has(key)) {
      row.remove();
      rows.delete(key);
    }
  }
}

// -- alerts -----------------------------------------------------------------------------------------------------

function applyAlerts() {
  if (!last) return;
  const elapsed = (Date.now() - received) / 1000;
  let count = 0;
  const mark = (node, on) => { setFlag(node, "alert", on); if (on) count += 1; };
  const totals = last.totals;
  if (totals) {
    const alerts = figureAlerts(totals, limits, elapsed);
    mark(totalsFigure("service"), alerts.service);
    mark(totalsFigure("longest"), alerts.longest);
    mark(totalsFigure("abandon"), alerts.abandon);
  }
  for (const queue of last.queues) {
    const entry = cards.get(queue.name);
    if (!entry) continue;
    const alerts = figureAlerts(queue, limits, elapsed);
    mark(entry.parts.service.parentElement, alerts.service);
    mark(entry.parts.longest.parentElement, alerts.longest);
    mark(entry.parts.abandoned.parentElement, alerts.abandon);
    setFlag(entry.card, "alert", alerts.service || alerts.longest || alerts.abandon);
  }
  const at = Date.parse(last.at) / 1000;
  for (const agent of last.agents || []) {
    const entry = rows.get(agent.interface);
    if (entry) mark(entry.cells.since, agentAlert({ ...agent, in_state_s: since(agent.state_since, at) }, limits, elapsed));
  }
  const badge = document.getElementById("alert-count");
  setText(badge, count ? `${TEXT[lang].alerts} : ${count}` : TEXT[lang].noAlert);
  setFlag(badge, "alert", count > 0);
  if (count > alertCount && sound) beep();
  alertCount = count;
}

let audio = null;
function beep() {
  try {
    audio = audio || new AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.2;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
    document.body.dataset.beeped = String(Number(document.body.dataset.beeped || 0) + 1);
  } catch { /* no audio on this screen */ }
}

function showSound() {
  const button = document.getElementById("sound");
  button.textContent = sound ? TEXT[lang].soundOn : TEXT[lang].soundOff;
  button.setAttribute("aria-pressed", String(sound));
}

document.getElementById("sound").onclick = () => {
  sound = !sound;
  localStorage.setItem(SOUND_KEY, sound ? "on" : "off");
  showSound();
};

// -- supervising a call -----------------------------------------------------------------------------------------

async function spy(agentInterface, mode) {
  const message = document.getElementById("spy-message");
  const seat = document.getElementById("my-seat").value.trim();
  if (!seat) {
    message.textContent = TEXT[lang].spyNoSeat;
    return;
  }
  localStorage.setItem("ivr-supervisor-seat", seat);
  const agent = agentInterface.replace(/^PJSIP\//, "");
  try {
    await api("POST", "/supervision/spy", { agent, supervisor_seat: seat, mode });
    message.textContent = TEXT[lang].spyStarted.replace("{mode}", TEXT[lang][mode].toLowerCase()).replace("{agent}", agent);
    message.dataset.ok = "yes";
  } catch (error) {
    message.textContent = error.message;
    message.dataset.ok = "no";
  }
}

// -- the loop ---------------------------------------------------------------------------------------------------

function render(state) {
  last = state;
  received = Date.now();
  if (state.totals) renderTotals(state.totals);
  const names = new Set();
  state.queues.forEach((queue, index) => { names.add(queue.name); renderCard(queue, index); });
  for (const [name, { card }] of cards) {
    if (!names.has(name)) { card.remove(); cards.delete(name); }
  }
  renderAgents(state.agents || [], Date.parse(state.at) / 1000);
  applyAlerts();
  refreshTitles(state.queues);
  document.body.dataset.version = String(Number(document.body.dataset.version || 0) + 1);
  status(true);
}

function tick() {
  if (!last) return;
  const elapsed = (Date.now() - received) / 1000;
  for (const node of document.querySelectorAll("[data-base]")) {
    if (node.dataset.base !== "") node.textContent = clock(Number(node.dataset.base) + elapsed);
  }
  applyAlerts();
}

document.getElementById("signout").onclick = () => signOut();
const me = await requireSignIn();
try {
  const board = await api("GET", "/supervision/board");
  limits = board;
  titles = Object.fromEntries(board.queues.map((queue) => [queue.queue, queue]));
  const saved = localStorage.getItem(SOUND_KEY);
  sound = saved ? saved === "on" : board.sound_alert;
  document.getElementById("my-seat").value = localStorage.getItem("ivr-supervisor-seat") || board.seat || "";
} catch { /* the defaults above; queue codes as titles */ }
const supervises = ["supervisor", "admin"].includes((me || currentUser() || {}).role);
document.body.dataset.supervises = supervises ? "yes" : "no";
document.getElementById("my-seat-label").classList.toggle("hidden", !supervises);
showSound();
connectLive(takeToken(), { onHello: () => {}, onState: render, onStatus: status });
setInterval(tick, 1000);
