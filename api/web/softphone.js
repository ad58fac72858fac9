// The browser softphone of the agent page: registers the agent's own seat to Asterisk over secure WebSocket (JsSIP,
// vendored in vendor/), rings with the caller's context, answers, holds, mutes, sends DTMF and transfers.
//
// Rules:
// - One softphone per page, mounted into one element (<section id="softphone">) by mountSoftphone(); it builds its
//   own DOM and loads its own script and stylesheet, so the page around it only gives it a seat and a way to call
//   the API (today a bearer token; a session cookie once sign-in has them).
// - The seat's SIP credentials come from GET /agents/{seat}/softphone at each page load and stay in memory only.
// - The caller's context is read from the INVITE itself (X-IVR-Language, X-IVR-Request-Type, X-IVR-Reference,
//   added by the dialplan's [queue-agent-call] before the queue rings the seat), so it shows while it rings.
// - One call at a time (a second incoming call gets 486 Busy), plus one consultation call during an attended
//   transfer. DTMF goes as RFC 4733 events in the media (the endpoints' dtmf_mode), never SIP INFO.
// - Everything shown is text from SOFTPHONE_TEXT (i18n.js) in the page's language (<html lang>), followed live.
// - `softphone` (exported) exposes the state, timings and WebRTC statistics, for the tests and for a curious agent
//   in the console.
import { SOFTPHONE_TEXT } from "./i18n.js";

const JSSIP_URL = new URL("./vendor/jssip.min.js", import.meta.url);
const STYLE_URL = new URL("./softphone.css", import.meta.url);
const AUTO_ANSWER_KEY = "ivr-softphone-auto-answer";
const NORMAL_ENDS = ["Terminated", "Canceled", "Rejected", "Busy"]; // JsSIP.C.causes: nothing to report
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

export const softphone = {
  state: "off", // off | connecting | registered | failed | ringing | in-call | held | consulting
  error: "",
  caller: null, // { number, name, language, requestType, reference }
  metrics: { registeredAt: null, ringingAt: null, answerClickedAt: null, confirmedAt: null, mediaConnectedAt: null },
  stats: () => callStats(current && current.connection),
};

let ua = null;
let config = null;
let current = null; // the customer call
let consult = null; // the consultation call of an attended transfer
let root = null;
let ringer = null;
let failure = null; // { kind, detail }: the error shown, translated again when the language changes

function text() {
  const lang = document.documentElement.lang;
  return SOFTPHONE_TEXT[lang] || SOFTPHONE_TEXT.fr;
}

export async function mountSoftphone({ element, seat, request }) {
  if (root) return softphone;
  root = element;
  root.classList.add("softphone");
  root.innerHTML = TEMPLATE;
  ensureStyle();
  wire();
  applyText();
  new MutationObserver(applyText).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  if (!window.isSecureContext || !navigator.mediaDevices) return fail("insecure");
  try {
    config = await request("GET", `/agents/${encodeURIComponent(seat)}/softphone`);
  } catch (problem) {
    return fail("credentials", problem.message);
  }
  try {
    await loadScript(JSSIP_URL);
  } catch {
    return fail("library");
  }
  start();
  return softphone;
}

function start() {
  const socket = new window.JsSIP.WebSocketInterface(config.wss_url);
  ua = new window.JsSIP.UA({
    sockets: [socket],
    uri: config.sip_uri,
    authorization_user: config.authorization_user,
    password: config.password,
    display_name: config.display_name,
    register: true,
    register_expires: 300,
    session_timers: false,
    user_agent: "callcenter-ivr softphone",
    connection_recovery_min_interval: 2,
    connection_recovery_max_interval: 30,
  });
  let everRegistered = false;
  ua.on("connecting", () => { if (!current) setState("connecting"); });
  ua.on("disconnected", () => {
    // Without any registration yet, an unreachable WSS is usually a certificate the browser does not trust.
    if (!current) fail(everRegistered ? "disconnected" : "unreachable");
  });
  ua.on("registered", () => {
    everRegistered = true;
    if (softphone.metrics.registeredAt === null) softphone.metrics.registeredAt = performance.now();
    softphone.error = "";
    failure = null;
    if (!current) setState("registered");
  });
  ua.on("unregistered", () => { if (!current) setState("off"); });
  ua.on("registrationFailed", (event) => fail("registration", event.cause));
  ua.on("newRTCSession", ({ originator, session, request }) => {
    if (originator === "remote") incoming(session, request);
  });
  ua.start();
  window.addEventListener("pagehide", () => ua && ua.stop());
}

// -- calls ---------------------------------------------------------------------------------------------------

function incoming(session, request) {
  if (current) {
    session.terminate({ status_code: 486, reason_phrase: "Busy Here" });
    return;
  }
  current = session;
  const identity = session.remote_identity;
  softphone.caller = {
    number: identity.uri.user || "",
    name: identity.display_name || "",
    language: request.getHeader("X-IVR-Language") || "",
    requestType: request.getHeader("X-IVR-Request-Type") || "",
    reference: request.getHeader("X-IVR-Reference") || "",
  };
  softphone.error = "";
  failure = null;
  softphone.metrics.ringingAt = performance.now();
  softphone.metrics.answerClickedAt = softphone.metrics.confirmedAt = softphone.metrics.mediaConnectedAt = null;
  follow(session);
  setState("ringing");
  startRinging();
  if (root.querySelector("[name=auto-answer]").checked) answer();
}

function follow(session) {
  session.on("peerconnection", ({ peerconnection }) => watchMedia(peerconnection));
  session.on("confirmed", () => {
    if (session !== current) return;
    softphone.metrics.confirmedAt = performance.now();
    if (session.connection) watchMedia(session.connection);
    setState("in-call");
  });
  session.on("hold", () => session === current && setState("held"));
  session.on("unhold", () => session === current && setState("in-call"));
  session.on("muted", () => render());
  session.on("unmuted", () => render());
  const ended = ({ cause }) => {
    if (session === consult) {
      consult = null;
      if (current && current.isOnHold().local) current.unhold();
      if (cause && !["Terminated", "Canceled"].includes(cause)) softphone.error = `${text().transferFailed}: ${cause}`;
      setState(current ? "in-call" : "registered");
      return;
    }
    if (session !== current) return;
    stopRinging();
    current = null;
    end(consult);
    softphone.caller = null;
    if (cause && !NORMAL_ENDS.includes(cause)) softphone.error = `${text().callFailed}: ${cause}`;
    setState(ua && ua.isRegistered() ? "registered" : "off");
  };
  session.on("ended", ended);
  session.on("failed", ended);
}

// Each call plays through its own <audio> element: during a consultation the agent hears the consulted party
// (the caller is on hold, hearing Asterisk's music), and the caller again once the consultation ends.
function watchMedia(peerconnection) {
  if (!peerconnection || peerconnection.__watched) return;
  peerconnection.__watched = true;
  const audio = document.createElement("audio");
  audio.autoplay = true;
  root.append(audio);
  const attach = () => {
    const tracks = peerconnection.getReceivers().map((receiver) => receiver.track).filter(Boolean);
    if (tracks.length) audio.srcObject = new MediaStream(tracks);
  };
  peerconnection.addEventListener("track", attach);
  peerconnection.addEventListener("connectionstatechange", () => {
    const state = peerconnection.connectionState;
    if (state === "connected" && softphone.metrics.mediaConnectedAt === null) {
      softphone.metrics.mediaConnectedAt = performance.now();
    }
    if (state === "closed" || state === "failed") audio.remove();
  });
  attach();
}

function mediaOptions() {
  return {
    mediaConstraints: { audio: true, video: false },
    pcConfig: { iceServers: config.ice_servers.map(({ urls, username, credential }) => ({ urls, username, credential })) },
  };
}

function answer() {
  if (!current || softphone.state !== "ringing") return;
  stopRinging();
  softphone.metrics.answerClickedAt = performance.now();
  try {
    current.answer(mediaOptions());
  } catch (problem) {
    fail("microphone", problem.message);
  }
}

// During a consultation, hanging up ends the consultation (back to the held caller), never the caller's call.
function hangup() {
  stopRinging();
  if (consult) end(consult); else end(current);
}

// JsSIP refuses a hold or resume while the previous one's re-INVITE is under way (hold() and unhold() then return
// false and do nothing): the button stays disabled until that re-INVITE has succeeded.
let holdUnderWay = null; // the session whose hold or resume re-INVITE is under way

function toggleHold() {
  if (!current || consult || holdUnderWay === current) return;
  const session = current;
  const settled = () => {
    if (holdUnderWay === session) holdUnderWay = null;
    render();
  };
  const started = session.isOnHold().local ? session.unhold({}, settled) : session.hold({}, settled);
  if (started) holdUnderWay = session;
  render();
}

function toggleMute() {
  if (!current) return;
  if (current.isMuted().audio) current.unmute({ audio: true }); else current.mute({ audio: true });
}

function sendKey(key) {
  const target = consult || current;
  if (!target || !target.isEstablished()) return;
  target.sendDTMF(key, { transportType: window.JsSIP.C.DTMF_TRANSPORT.RFC2833, duration: 160, interToneGap: 80 });
  root.querySelector(".sp-dialed").textContent += key;
}

// -- transfers -----------------------------------------------------------------------------------------------

// "1002", "agent1002" (a seat) or "q-fr" (a language queue): the extensions of the dialplan's [agents] context.
export function transferTarget(typed) {
  const value = typed.trim().toLowerCase();
  const seat = /^(?:agent)?(10[0-4][0-9])$/.exec(value);
  if (seat) return seat[1];
  if (/^q-[a-z]{2,3}$/.test(value)) return value;
  return null;
}

function targetUri() {
  const target = transferTarget(root.querySelector("[name=target]").value);
  if (!target) {
    showError(text().badTarget);
    return null;
  }
  const domain = config.sip_uri.split("@")[1];
  return `sip:${target}@${domain}`;
}

// The transferor hangs up once the transfer target answered the REFER's NOTIFY with 2xx (RFC 5589): Asterisk
// leaves our leg up until then.
function referHandlers(...sessions) {
  return {
    requestFailed: () => showError(text().transferFailed),
    failed: () => showError(text().transferFailed),
    accepted: () => sessions.forEach(end),
  };
}

function end(session) {
  if (session && !session.isEnded()) session.terminate();
}

function blindTransfer() {
  const uri = targetUri();
  if (!uri || !current) return;
  current.refer(uri, { eventHandlers: referHandlers(current) });
}

function startConsultation() {
  const uri = targetUri();
  if (!uri || !current || consult) return;
  if (!current.isOnHold().local) current.hold();
  consult = ua.call(uri, mediaOptions());
  follow(consult);
  watchMedia(consult.connection);
  setState("consulting");
}

function completeTransfer() {
  if (!current || !consult) return;
  // REFER with Replaces: Asterisk bridges the caller with the consulted party; we hang up both our calls then.
  current.refer(consult.remote_identity.uri, { replaces: consult, eventHandlers: referHandlers(current, consult) });
}

function cancelConsultation() {
  end(consult);
}

// -- statistics (tests, support) -----------------------------------------------------------------------------

async function callStats(peerconnection) {
  if (!peerconnection) return null;
  const found = {
    packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, codec: "",
    connection: peerconnection.connectionState, route: "",
  };
  const report = await peerconnection.getStats();
  report.forEach((entry) => {
    if (entry.type === "transport" && entry.selectedCandidatePairId) {
      // which addresses the media flows between (support: NAT and TURN questions)
      const pair = report.get(entry.selectedCandidatePairId);
      const local = pair && report.get(pair.localCandidateId);
      const remote = pair && report.get(pair.remoteCandidateId);
      if (local && remote) found.route = `${local.candidateType} ${local.address}:${local.port} -> ${remote.candidateType} ${remote.address}:${remote.port}`;
    }
    if (entry.type === "outbound-rtp" && entry.kind === "audio") {
      found.packetsSent += entry.packetsSent || 0;
      found.bytesSent += entry.bytesSent || 0;
    } else if (entry.type === "inbound-rtp" && entry.kind === "audio") {
      found.packetsReceived += entry.packetsReceived || 0;
      found.bytesReceived += entry.bytesReceived || 0;
      const codec = entry.codecId && report.get(entry.codecId);
      if (codec) found.codec = codec.mimeType;
    }
  });
  return found;
}

// -- page ----------------------------------------------------------------------------------------------------

const TEMPLATE = `
  <h2><span data-sp="title"></span> <span class="sp-state" data-sp-state></span></h2>
  <div class="sp-caller hidden">
    <p class="sp-number number"></p>
    <dl>
      <dt data-sp="language"></dt><dd class="sp-language"></dd>
      <dt data-sp="requestType"></dt><dd class="sp-request"></dd>
      <dt data-sp="reference"></dt><dd class="sp-reference number"></dd>
    </dl>
    <p class="sp-timer number" aria-live="off"></p>
  </div>
  <div class="sp-buttons">
    <button type="button" class="sp-answer" data-sp="answer"></button>
    <button type="button" class="sp-hangup" data-sp="hangup"></button>
    <button type="button" class="sp-hold secondary"></button>
    <button type="button" class="sp-mute secondary"></button>
    <button type="button" class="sp-keypad-toggle secondary" data-sp="keypad" aria-expanded="false"></button>
  </div>
  <div class="sp-keypad hidden" role="group"><output class="sp-dialed number"></output></div>
  <div class="sp-transfer hidden">
    <label><span data-sp="target"></span> <input name="target" dir="ltr" autocomplete="off" inputmode="text" size="8"></label>
    <button type="button" class="sp-blind secondary" data-sp="blindTransfer"></button>
    <button type="button" class="sp-consult secondary" data-sp="consult"></button>
    <button type="button" class="sp-complete" data-sp="completeTransfer"></button>
    <button type="button" class="sp-cancel secondary" data-sp="cancelConsult"></button>
  </div>
  <label class="sp-auto"><input type="checkbox" name="auto-answer"> <span data-sp="autoAnswer"></span></label>
  <p class="error sp-error" role="alert"></p>`;

function wire() {
  const on = (selector, handler) => root.querySelector(selector).addEventListener("click", handler);
  on(".sp-answer", answer);
  on(".sp-hangup", hangup);
  on(".sp-hold", toggleHold);
  on(".sp-mute", toggleMute);
  on(".sp-blind", blindTransfer);
  on(".sp-consult", startConsultation);
  on(".sp-complete", completeTransfer);
  on(".sp-cancel", cancelConsultation);
  on(".sp-keypad-toggle", () => {
    const keypad = root.querySelector(".sp-keypad");
    keypad.classList.toggle("hidden");
    root.querySelector(".sp-keypad-toggle").setAttribute("aria-expanded", String(!keypad.classList.contains("hidden")));
  });
  const keypad = root.querySelector(".sp-keypad");
  for (const key of KEYS) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.dataset.key = key;
    button.textContent = key;
    button.addEventListener("click", () => sendKey(key));
    keypad.append(button);
  }
  const auto = root.querySelector("[name=auto-answer]");
  auto.checked = localStorage.getItem(AUTO_ANSWER_KEY) === "1";
  auto.addEventListener("change", () => localStorage.setItem(AUTO_ANSWER_KEY, auto.checked ? "1" : "0"));
}

function ensureStyle() {
  if (document.querySelector(`link[href="${STYLE_URL}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = STYLE_URL;
  document.head.append(link);
}

function loadScript(url) {
  if (window.JsSIP) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
}

// An error stays on screen until the next registration or call; without a call the phone is "failed".
function fail(kind, detail) {
  failure = { kind, detail };
  softphone.error = failureText();
  setState(current ? softphone.state : "failed");
  return softphone;
}

function failureText() {
  if (!failure) return softphone.error;
  const message = text().errors[failure.kind] || failure.kind;
  return failure.detail ? `${message} (${failure.detail})` : message;
}

function showError(message) {
  failure = null;
  softphone.error = message;
  render();
}

function setState(state) {
  softphone.state = state;
  render();
}

function applyText() {
  if (!root) return;
  const t = text();
  for (const node of root.querySelectorAll("[data-sp]")) node.textContent = t[node.dataset.sp];
  if (failure && softphone.error) softphone.error = failureText();
  render();
}

function languageName(code) {
  if (!code) return "";
  try {
    const name = new Intl.DisplayNames([document.documentElement.lang || "fr"], { type: "language" }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

let timer = null;

function render() {
  if (!root) return;
  const t = text();
  const state = softphone.state;
  root.dataset.state = state;
  const badge = root.querySelector("[data-sp-state]");
  badge.textContent = t.states[state] || state;
  badge.dataset.spState = state;
  const inCall = ["in-call", "held", "consulting"].includes(state);
  const caller = softphone.caller;
  const card = root.querySelector(".sp-caller");
  card.classList.toggle("hidden", !caller);
  if (caller) {
    card.querySelector(".sp-number").textContent = caller.number || caller.name || t.unknownCaller;
    card.dataset.number = caller.number;
    card.dataset.language = caller.language;
    card.querySelector(".sp-language").textContent = languageName(caller.language) || "–";
    card.querySelector(".sp-request").textContent = caller.requestType || "–";
    card.querySelector(".sp-reference").textContent = caller.reference || "–";
  }
  root.querySelector(".sp-answer").classList.toggle("hidden", state !== "ringing");
  root.querySelector(".sp-hangup").classList.toggle("hidden", !(inCall || state === "ringing"));
  root.querySelector(".sp-hangup").textContent = state === "ringing" ? t.decline : t.hangup;
  const hold = root.querySelector(".sp-hold");
  hold.classList.toggle("hidden", !inCall || state === "consulting");
  hold.textContent = state === "held" ? t.resume : t.hold;
  hold.setAttribute("aria-pressed", String(state === "held"));
  hold.disabled = Boolean(current) && holdUnderWay === current;
  const mute = root.querySelector(".sp-mute");
  const muted = Boolean(current && current.isMuted().audio);
  mute.classList.toggle("hidden", !inCall);
  mute.textContent = muted ? t.unmute : t.mute;
  mute.setAttribute("aria-pressed", String(muted));
  root.querySelector(".sp-keypad-toggle").classList.toggle("hidden", !inCall);
  if (!inCall) {
    root.querySelector(".sp-keypad").classList.add("hidden");
    root.querySelector(".sp-dialed").textContent = "";
  }
  root.querySelector(".sp-transfer").classList.toggle("hidden", !inCall);
  root.querySelector(".sp-blind").classList.toggle("hidden", state === "consulting");
  root.querySelector(".sp-consult").classList.toggle("hidden", state === "consulting");
  root.querySelector(".sp-complete").classList.toggle("hidden", state !== "consulting");
  root.querySelector(".sp-cancel").classList.toggle("hidden", state !== "consulting");
  root.querySelector(".sp-error").textContent = softphone.error;
  clearInterval(timer);
  const timerNode = root.querySelector(".sp-timer");
  timerNode.textContent = "";
  if (inCall && softphone.metrics.confirmedAt !== null) {
    const tick = () => {
      const seconds = Math.round((performance.now() - softphone.metrics.confirmedAt) / 1000);
      timerNode.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    };
    tick();
    timer = setInterval(tick, 1000);
  }
}

// A soft two-tone ring (no audio file to vendor); silent if the browser has not allowed sound yet.
function startRinging() {
  stopRinging();
  try {
    const context = new AudioContext();
    const gain = context.createGain();
    gain.gain.value = 0;
    gain.connect(context.destination);
    for (const frequency of [440, 480]) {
      const tone = context.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start();
    }
    let on = false;
    const beat = setInterval(() => { on = !on; gain.gain.value = on ? 0.05 : 0; }, 1000);
    ringer = { context, beat };
  } catch {
    ringer = null;
  }
}

function stopRinging() {
  if (!ringer) return;
  clearInterval(ringer.beat);
  ringer.context.close();
  ringer = null;
}
