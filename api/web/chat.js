// Staff chat page: take the portal's conversations in the languages ticked here; each conversation is a request
// (its reference shown) whose transcript the server keeps. Signed-in staff only (session.js).
import { liveHello, requireSignIn, signOut } from "./session.js";

const TEXT = {
  fr: { title: "Chat avec les citoyens", languages: "Langues que je prends", ready: "Recevoir les conversations",
    none: "Aucune conversation pour l'instant.", send: "Envoyer", end: "Terminer", ended: "terminée",
    citizen: "Citoyen", me: "Moi", connected: "connecté", disconnected: "déconnecté", signOut: "Se déconnecter" },
  ar: { title: "محادثة مع المواطنين", languages: "اللغات التي أتكفل بها", ready: "استقبال المحادثات",
    none: "لا توجد محادثات حاليا.", send: "إرسال", end: "إنهاء", ended: "منتهية", citizen: "المواطن", me: "أنا",
    connected: "متصل", disconnected: "غير متصل", signOut: "تسجيل الخروج" },
  en: { title: "Chat with citizens", languages: "Languages I take", ready: "Receive conversations",
    none: "No conversation yet.", send: "Send", end: "End", ended: "ended", citizen: "Citizen", me: "Me",
    connected: "connected", disconnected: "disconnected", signOut: "Sign out" },
};
const $ = (id) => document.getElementById(id);
let words = TEXT.fr;
let socket = null;

function boxFor(conversation) {
  let box = document.querySelector(`[data-conversation="${conversation}"]`);
  if (box) return box;
  box = document.createElement("section");
  box.className = "card";
  box.dataset.conversation = String(conversation);
  const title = document.createElement("h2");
  const list = document.createElement("ol");
  list.className = "messages";
  const form = document.createElement("form");
  form.className = "reply";
  const input = Object.assign(document.createElement("input"), { maxLength: 2000, required: true, autocomplete: "off" });
  const send = Object.assign(document.createElement("button"), { type: "submit", textContent: words.send });
  const end = Object.assign(document.createElement("button"), { type: "button", className: "secondary", textContent: words.end });
  form.append(input, send, end);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    socket.send(JSON.stringify({ type: "message", conversation, text: input.value }));
    input.value = "";
  });
  end.addEventListener("click", () => socket.send(JSON.stringify({ type: "end", conversation })));
  box.append(title, list, form);
  $("conversations").prepend(box);
  $("none").classList.add("hidden");
  return box;
}

function line(conversation, event) {
  const item = document.createElement("li");
  item.className = event.from;
  item.textContent = `${event.from === "agent" ? words.me : words.citizen}: ${event.text}`;
  boxFor(conversation).querySelector("ol").append(item);
}

function handle(event) {
  if (event.type === "conversation") {
    const box = boxFor(event.conversation);
    box.querySelector("h2").textContent = `${event.reference} · ${event.language} · ${event.contact}`;
    for (const message of event.messages) line(event.conversation, message);
  }
  if (event.type === "message") line(event.conversation, event);
  if (event.type === "ended") {
    const box = boxFor(event.conversation);
    box.querySelector("h2").textContent += ` (${words.ended})`;
    box.querySelector("form").remove();
  }
}

function connect(languages) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${location.host}/chat/ws`);
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify(liveHello()));
    socket.send(JSON.stringify({ type: "ready", languages }));
  });
  socket.addEventListener("message", (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "ready") {
      $("status").textContent = `${words.connected} (${event.languages.join(", ")})`;
      document.body.dataset.ready = event.languages.join(",");
    }
    handle(event);
  });
  socket.addEventListener("close", () => { $("status").textContent = words.disconnected; });
}

async function start() {
  const me = await requireSignIn();
  words = TEXT[me.language] || TEXT.fr;
  document.documentElement.lang = me.language;
  document.documentElement.dir = me.language === "ar" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-c]")) node.textContent = words[node.dataset.c];
  const config = await (await fetch("/portal/config")).json();
  $("languages").append(...config.languages.map((code) => {
    const label = document.createElement("label");
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: code, checked: code === me.language });
    label.append(box, ` ${code}`);
    return label;
  }));
  $("signout").addEventListener("click", signOut);
  $("ready-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const languages = [...$("languages").querySelectorAll("input:checked")].map((box) => box.value);
    if (socket) socket.close();
    connect(languages);
  });
}

start();
