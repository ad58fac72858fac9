// Agent page: own state in each queue, pause with a reason, log in by language skill, current caller's context.
// The seat is the signed-in agent's (api.routes.agents); a supervisor may open ?seat=agent1001 to act for someone.
import { TEXT, applyLanguage, chooseLanguage } from "./i18n.js";
import { api, connectLive, takeToken } from "./live.js";
import { fetchCallerCard, renderCallerCard } from "./callercard.js";
import { deskSnapshot, setDeskLanguage, startDesk, wireDisposition } from "./desk.js";
import { mountSoftphone } from "./softphone.js";
import { requireSignIn, signOut } from "./session.js";

const LANGUAGES = ["ar", "zgh", "fr", "en", "es", "nl", "it", "de"];
let lang = chooseLanguage();
let seat = new URLSearchParams(location.search).get("seat");
let lastCaller = "";
let lastCard = null;
const token = takeToken(); // a screen's token, or null: the session cookie (session.js)
const picker = document.getElementById("lang");
picker.value = lang;
picker.onchange = () => { lang = picker.value; applyLanguage(lang); fillChoices(); setDeskLanguage(lang); renderCallerCard(lastCard, lang); };

function fillChoices() {
  const reason = document.getElementById("reason");
  reason.replaceChildren(...Object.entries(TEXT[lang].reasons).map(([key, label]) => new Option(label, label)));
  const skills = document.getElementById("skills");
  const chosen = Object.fromEntries([...skills.querySelectorAll("select")].map((s) => [s.name, s.value]));
  skills.replaceChildren(...LANGUAGES.map((code) => {
    const label = document.createElement("label");
    const select = document.createElement("select");
    select.name = code;
    select.append(new Option("–", ""), ...Object.entries(TEXT[lang].levels).map(([key, text]) => new Option(text, key)));
    select.value = chosen[code] || "";
    label.append(`${code} `, select);
    return label;
  }));
}

async function act(method, path, body) {
  const error = document.getElementById("error");
  error.textContent = "";
  try { return await api(token, method, path, body); } catch (failure) { error.textContent = failure.message; return null; }
}

function render(state) {
  if (!seat) return;
  const mine = [];
  for (const queue of state.queues) {
    for (const member of queue.members) {
      if (member.interface === `PJSIP/${seat}`) mine.push({ queue: queue.name, ...member });
    }
  }
  const list = document.getElementById("my-queues");
  list.replaceChildren(...mine.map((row) => {
    const item = document.createElement("li");
    item.dataset.queue = row.queue;
    item.dataset.state = row.state;
    item.innerHTML = `<span></span><span class="state ${row.state}"></span>`;
    item.firstChild.textContent = row.queue;
    item.lastChild.textContent = (TEXT[lang].states[row.state] || row.state) + (row.paused_reason ? ` — ${row.paused_reason}` : "");
    return item;
  }));
  // the card is fetched when the seat starts ringing, and again once answered (ringing -> on call)
  const withCaller = mine.find((row) => row.caller);
  const caller = withCaller ? `${withCaller.caller}|${withCaller.state}` : "";
  if (caller !== lastCaller) { lastCaller = caller; showCaller(); }
  deskSnapshot(state);
}

async function showCaller() {
  const asked = lastCaller;
  const context = asked ? await fetchCallerCard(token, seat) : null;
  if (context === undefined) return; // could not ask: keep what is shown
  if (asked !== lastCaller) return; // the seat moved on while we asked (a late answer must not bring back an ended call)
  lastCard = context;
  renderCallerCard(lastCard, lang);
}

function status(ok) {
  document.getElementById("status").textContent = ok ? TEXT[lang].connected : TEXT[lang].disconnected;
}

document.getElementById("signout").onclick = () => signOut();
document.getElementById("pause").onclick = () =>
  act("POST", `/agents/${seat}/pause`, { reason: document.getElementById("reason").value });
document.getElementById("unpause").onclick = () => act("POST", `/agents/${seat}/unpause`);
document.getElementById("logout").onclick = () => act("POST", `/agents/${seat}/logout`);
document.getElementById("login").onclick = () => {
  const skills = {};
  for (const select of document.querySelectorAll("#skills select")) if (select.value) skills[select.name] = select.value;
  act("POST", `/agents/${seat}/login`, { skills });
};

fillChoices();
wireDisposition();
await requireSignIn();
connectLive(token, {
  onHello: (hello) => {
    seat = seat || hello.seat;
    document.getElementById("seat").textContent = seat || "";
    if (!seat) return;
    startDesk({ token, seat, lang });
    // only the seat's own agent gets its SIP credentials (a supervisor acting for a seat has no softphone here)
    if (hello.seat === seat) {
      mountSoftphone({ element: document.getElementById("softphone"), seat, request: (method, path, body) => api(token, method, path, body) });
    }
  },
  onState: render,
  onStatus: status,
});
