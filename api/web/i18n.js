// Interface text in French, Arabic (right to left) and English. Language: ?lang=, else the last choice, else the
// browser's. The agent's day and the request desk keep their texts in desk-text.js, merged in below.
import { DESK_TEXT, ENGLISH } from "./desk-text.js";

export const TEXT = {
  fr: {
    wallboard: "Tableau de bord des files", agentPage: "Poste agent", waiting: "En attente", longest: "Attente max",
    available: "Disponibles", answered: "Répondus", abandoned: "Abandonnés", serviceLevel: "Niveau de service",
    callbacks: "Rappels demandés",
    states: { available: "disponible", ringing: "sonne", on_call: "en appel", wrapup: "post-appel", paused: "en pause", unavailable: "hors ligne" },
    connected: "connecté", disconnected: "déconnecté — reconnexion…", ami: "Asterisk", token: "Jeton d'accès",
    signIn: "Se connecter", pause: "Pause", unpause: "Reprendre", login: "Entrer dans les files", logout: "Sortir des files",
    reasons: { lunch: "Déjeuner", training: "Formation", admin: "Tâches administratives", break: "Pause courte" },
    caller: "Appelant", language: "Langue", requestType: "Type de demande", reference: "Référence",
    previousCalls: "Appels précédents", noCall: "Pas d'appel en cours", skills: "Langues",
    levels: { native: "natif", fluent: "courant", basic: "notions" }, nobody: "Personne",
  },
  ar: {
    wallboard: "لوحة متابعة قوائم الانتظار", agentPage: "مكتب الموظف", waiting: "في الانتظار", longest: "أطول انتظار",
    available: "متاحون", answered: "مكالمات مُجابة", abandoned: "مكالمات متروكة", serviceLevel: "مستوى الخدمة",
    callbacks: "طلبات معاودة الاتصال",
    states: { available: "متاح", ringing: "يرن", on_call: "في مكالمة", wrapup: "ما بعد المكالمة", paused: "في استراحة", unavailable: "غير متصل" },
    connected: "متصل", disconnected: "انقطع الاتصال — جارٍ إعادة الاتصال…", ami: "أستريسك", token: "رمز الدخول",
    signIn: "دخول", pause: "استراحة", unpause: "استئناف", login: "الدخول إلى القوائم", logout: "الخروج من القوائم",
    reasons: { lunch: "غداء", training: "تكوين", admin: "مهام إدارية", break: "استراحة قصيرة" },
    caller: "المتصل", language: "اللغة", requestType: "نوع الطلب", reference: "المرجع",
    previousCalls: "المكالمات السابقة", noCall: "لا توجد مكالمة جارية", skills: "اللغات",
    levels: { native: "لغة أم", fluent: "بطلاقة", basic: "مبادئ" }, nobody: "لا أحد",
  },
};

TEXT.en = { ...ENGLISH, ...(TEXT.en || {}) };
for (const [code, texts] of Object.entries(DESK_TEXT)) TEXT[code] = { ...texts, ...TEXT[code] };

export function chooseLanguage() {
  const asked = new URLSearchParams(location.search).get("lang");
  const saved = localStorage.getItem("ivr-ui-lang");
  const browser = (navigator.language || "fr").slice(0, 2);
  const lang = [asked, saved, browser].find((code) => code && TEXT[code]) || "fr";
  applyLanguage(lang);
  return lang;
}

export function applyLanguage(lang) {
  localStorage.setItem("ivr-ui-lang", lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-t]")) {
    node.textContent = TEXT[lang][node.dataset.t];
  }
}

export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
