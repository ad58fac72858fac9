// Interface text in French, Arabic (right to left) and English. Language: ?lang=, else the last choice (or the
// signed-in person's preferred language, stored at sign-in), else the browser's. The
// agent's day and the request desk keep their texts in desk-text.js, merged in below.
import { DESK_TEXT, ENGLISH } from "./desk-text.js";
import { SUPERVISION_TEXT } from "./supervision-text.js";

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
    signInTitle: "Connexion", username: "Identifiant", password: "Mot de passe", signOut: "Se déconnecter",
    wrongPassword: "Identifiant ou mot de passe incorrect.",
    tooManyAttempts: "Trop de tentatives. Réessayez dans {minutes} min.",
    cookieRefused: "Le navigateur a refusé le cookie de session : ouvrez cette page en HTTPS (ou sur 127.0.0.1).",
    users: "Comptes du personnel", displayName: "Nom affiché", role: "Rôle", seat: "Poste", create: "Créer",
    resetPassword: "Nouveau mot de passe", disable: "Désactiver", enable: "Réactiver", actions: "Actions",
    roles: { agent: "agent", supervisor: "superviseur", admin: "administrateur" },
    accountActive: "actif", accountDisabled: "désactivé",
    newPasswordFor: "Mot de passe de {user}, affiché une seule fois :",
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
    signInTitle: "تسجيل الدخول", username: "اسم المستخدم", password: "كلمة المرور", signOut: "تسجيل الخروج",
    wrongPassword: "اسم المستخدم أو كلمة المرور غير صحيحة.",
    tooManyAttempts: "محاولات كثيرة. أعد المحاولة بعد {minutes} دقيقة.",
    cookieRefused: "رفض المتصفح ملف تعريف الجلسة: افتح هذه الصفحة عبر HTTPS (أو على 127.0.0.1).",
    users: "حسابات الموظفين", displayName: "الاسم المعروض", role: "الدور", seat: "المكتب", create: "إنشاء",
    resetPassword: "كلمة مرور جديدة", disable: "تعطيل", enable: "إعادة التفعيل", actions: "إجراءات",
    roles: { agent: "موظف", supervisor: "مشرف", admin: "مسؤول" },
    accountActive: "نشط", accountDisabled: "معطّل",
    newPasswordFor: "كلمة مرور {user}، تُعرض مرة واحدة فقط:",
  },
  en: {
    wallboard: "Queue wallboard", agentPage: "Agent desk", waiting: "Waiting", longest: "Longest wait",
    available: "Available", answered: "Answered", abandoned: "Abandoned", serviceLevel: "Service level",
    callbacks: "Callbacks requested",
    states: { available: "available", ringing: "ringing", on_call: "on a call", wrapup: "wrap-up", paused: "paused", unavailable: "offline" },
    connected: "connected", disconnected: "disconnected — reconnecting…", ami: "Asterisk", token: "Access token",
    signIn: "Sign in", pause: "Pause", unpause: "Resume", login: "Join the queues", logout: "Leave the queues",
    reasons: { lunch: "Lunch", training: "Training", admin: "Paperwork", break: "Short break" },
    caller: "Caller", language: "Language", requestType: "Request type", reference: "Reference",
    previousCalls: "Previous calls", noCall: "No call in progress", skills: "Languages",
    levels: { native: "native", fluent: "fluent", basic: "basic" }, nobody: "Nobody",
    signInTitle: "Sign in", username: "Username", password: "Password", signOut: "Sign out",
    wrongPassword: "Wrong username or password.",
    tooManyAttempts: "Too many attempts. Try again in {minutes} min.",
    cookieRefused: "The browser refused the session cookie: open this page over HTTPS (or on 127.0.0.1).",
    users: "Staff accounts", displayName: "Display name", role: "Role", seat: "Seat", create: "Create",
    resetPassword: "New password", disable: "Disable", enable: "Enable", actions: "Actions",
    roles: { agent: "agent", supervisor: "supervisor", admin: "admin" },
    accountActive: "active", accountDisabled: "disabled",
    newPasswordFor: "Password of {user}, shown this once:",
  },
};

TEXT.en = { ...ENGLISH, ...(TEXT.en || {}) };
for (const [code, texts] of Object.entries(DESK_TEXT)) TEXT[code] = { ...texts, ...TEXT[code] };
for (const [code, texts] of Object.entries(SUPERVISION_TEXT)) TEXT[code] = { ...texts, ...TEXT[code] };

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

// The browser softphone (softphone.js), in every language of the agent page.
export const SOFTPHONE_TEXT = {
  fr: {
    title: "Téléphone", answer: "Répondre", decline: "Refuser", hangup: "Raccrocher", hold: "Mettre en attente",
    resume: "Reprendre l'appel", mute: "Couper le micro", unmute: "Rétablir le micro", keypad: "Clavier",
    target: "Transférer à (poste 1002 ou file q-fr)", blindTransfer: "Transférer", consult: "Consulter d'abord",
    completeTransfer: "Terminer le transfert", cancelConsult: "Annuler la consultation", autoAnswer: "Décrochage automatique",
    language: "Langue", requestType: "Type de demande", reference: "Référence", unknownCaller: "Numéro masqué",
    states: { off: "hors service", connecting: "connexion…", registered: "prêt", failed: "indisponible",
      ringing: "appel entrant", "in-call": "en communication", held: "en attente", consulting: "consultation" },
    callFailed: "Appel interrompu", badTarget: "Destination inconnue : un poste (1001 à 1040) ou une file (q-fr)",
    transferFailed: "Le transfert a échoué",
    errors: {
      insecure: "Le téléphone exige une page sécurisée (https) et un navigateur récent",
      credentials: "Impossible d'obtenir les identifiants du poste",
      library: "Impossible de charger la bibliothèque SIP",
      unreachable: "Serveur téléphonique injoignable (certificat non accepté ?)",
      disconnected: "Connexion au serveur téléphonique perdue — reconnexion…",
      registration: "Enregistrement du poste refusé",
      microphone: "Micro indisponible ou refusé",
    },
  },
  ar: {
    title: "الهاتف", answer: "رد", decline: "رفض", hangup: "إنهاء المكالمة", hold: "تعليق المكالمة",
    resume: "استئناف المكالمة", mute: "كتم الميكروفون", unmute: "تشغيل الميكروفون", keypad: "لوحة الأرقام",
    target: "تحويل إلى (مكتب 1002 أو قائمة q-fr)", blindTransfer: "تحويل", consult: "استشارة أولاً",
    completeTransfer: "إتمام التحويل", cancelConsult: "إلغاء الاستشارة", autoAnswer: "رد تلقائي",
    language: "اللغة", requestType: "نوع الطلب", reference: "المرجع", unknownCaller: "رقم محجوب",
    states: { off: "خارج الخدمة", connecting: "جارٍ الاتصال…", registered: "جاهز", failed: "غير متاح",
      ringing: "مكالمة واردة", "in-call": "في مكالمة", held: "معلّقة", consulting: "استشارة" },
    callFailed: "انقطعت المكالمة", badTarget: "وجهة غير معروفة: مكتب (1001 إلى 1040) أو قائمة (q-fr)",
    transferFailed: "فشل التحويل",
    errors: {
      insecure: "يتطلب الهاتف صفحة آمنة (https) ومتصفحاً حديثاً",
      credentials: "تعذّر الحصول على بيانات المكتب",
      library: "تعذّر تحميل مكتبة SIP",
      unreachable: "خادم الهاتف غير متاح (هل قُبلت الشهادة؟)",
      disconnected: "انقطع الاتصال بخادم الهاتف — جارٍ إعادة الاتصال…",
      registration: "رُفض تسجيل المكتب",
      microphone: "الميكروفون غير متاح أو مرفوض",
    },
  },
  en: {
    title: "Phone", answer: "Answer", decline: "Decline", hangup: "Hang up", hold: "Hold", resume: "Resume",
    mute: "Mute", unmute: "Unmute", keypad: "Keypad", target: "Transfer to (seat 1002 or queue q-fr)",
    blindTransfer: "Transfer", consult: "Consult first", completeTransfer: "Complete transfer",
    cancelConsult: "Cancel consultation", autoAnswer: "Auto-answer", language: "Language", requestType: "Request type",
    reference: "Reference", unknownCaller: "Withheld number",
    states: { off: "off", connecting: "connecting…", registered: "ready", failed: "unavailable", ringing: "incoming call",
      "in-call": "on a call", held: "on hold", consulting: "consulting" },
    callFailed: "Call dropped", badTarget: "Unknown destination: a seat (1001 to 1040) or a queue (q-fr)",
    transferFailed: "The transfer failed",
    errors: {
      insecure: "The phone needs a secure page (https) and a recent browser",
      credentials: "Cannot get the seat's credentials",
      library: "Cannot load the SIP library",
      unreachable: "Phone server unreachable (certificate not accepted?)",
      disconnected: "Lost the phone server — reconnecting…",
      registration: "The seat's registration was refused",
      microphone: "Microphone unavailable or refused",
    },
  },
};
