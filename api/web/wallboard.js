// Wallboard: one card per queue, redrawn from each snapshot; wait times tick locally between snapshots.
import { TEXT, applyLanguage, chooseLanguage, duration } from "./i18n.js";
import { connectLive, takeToken } from "./live.js";
import { requireSignIn, signOut } from "./session.js";

let lang = chooseLanguage();
let last = null;
let received = 0;
const picker = document.getElementById("lang");
picker.value = lang;
picker.onchange = () => { lang = picker.value; applyLanguage(lang); if (last) render(last); };

function status(ok, code) {
  const node = document.getElementById("status");
  const ami = last && last.ami ? ` · ${TEXT[lang].ami}: ${last.ami.status}` : "";
  node.textContent = (ok ? TEXT[lang].connected : TEXT[lang].disconnected) + ami;
  node.dataset.connected = ok ? "yes" : "no";
  if (code === 4403) node.dataset.refused = "yes";
}

function render(state) {
  last = state;
  received = Date.now();
  const main = document.getElementById("queues");
  const template = document.getElementById("queue-card");
  main.replaceChildren();
  for (const queue of state.queues) {
    const card = template.content.firstElementChild.cloneNode(true);
    card.dataset.queue = queue.name;
    card.querySelector(".name").textContent = queue.name;
    card.querySelector(".waiting-count").textContent = queue.waiting.length;
    if (queue.waiting.length) card.querySelector(".longest").dataset.seconds = queue.longest_wait_s;
    card.querySelector(".longest").textContent = duration(queue.longest_wait_s);
    card.querySelector(".available-count").textContent = queue.members.filter((m) => m.state === "available").length;
    card.querySelector(".answered").textContent = queue.answered_today;
    card.querySelector(".abandoned").textContent = queue.abandoned_today;
    card.querySelector(".callbacks").textContent = queue.callbacks_today;
    card.querySelector(".service").textContent =
      queue.service_level_today === null ? "–" : `${Math.round(queue.service_level_today * 100)}%`;
    for (const caller of queue.waiting) {
      const item = document.createElement("li");
      item.className = "caller";
      item.dataset.number = caller.number;
      item.innerHTML = `<span><b>${caller.position}.</b> <span class="number"></span> (${caller.language || "?"})</span><span class="wait"></span>`;
      item.querySelector(".number").textContent = caller.number;
      item.querySelector(".wait").dataset.seconds = caller.wait_s;
      item.querySelector(".wait").textContent = duration(caller.wait_s);
      card.querySelector(".callers").append(item);
    }
    for (const member of queue.members) {
      const item = document.createElement("li");
      item.className = "member";
      item.dataset.interface = member.interface;
      item.dataset.state = member.state;
      const label = TEXT[lang].states[member.state] || member.state;
      const reason = member.paused_reason ? ` — ${member.paused_reason}` : "";
      item.innerHTML = `<span class="who"></span><span class="state ${member.state}"></span>`;
      item.querySelector(".who").textContent = member.name;
      item.querySelector(".state").textContent = label + reason;
      card.querySelector(".members").append(item);
    }
    applyLanguage(lang);
    main.append(card);
  }
  status(true);
}

function tick() {
  if (!last) return;
  const elapsed = (Date.now() - received) / 1000;
  for (const node of document.querySelectorAll("[data-seconds]")) {
    node.textContent = duration(Number(node.dataset.seconds) + elapsed);
  }
}

document.getElementById("signout").onclick = () => signOut();
await requireSignIn();
connectLive(takeToken(), { onHello: () => {}, onState: render, onStatus: status });
setInterval(tick, 1000);
