// Interface text in French, Arabic (right to left) and English. Language: ?lang=, else the last choice (or the
// signed-in person's preferred language, stored at sign-in), else the browser's.
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
