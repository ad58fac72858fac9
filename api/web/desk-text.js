// Texts of the agent's day (day card, caller card, disposition) and the request desk, in French, Arabic and
// English. api/web/i18n.js merges them into TEXT, so `data-t` works for them as for the rest.
import { NOTIFICATION_TEXT } from "./notifications-text.js";
export const DESK_TEXT = {
  fr: {
    myDay: "Ma journée", state: "État", timeInState: "Depuis", callsToday: "Appels", talkTime: "Conversation",
    handleTime: "Durée moy. de traitement", todaysCalls: "Appels du jour", close: "Clôturer", closed: "clôturé",
    ringing: "Ça sonne", requestStatus: "État de la demande", previousRequests: "Demandes précédentes",
    disposition: "Clôture de l'appel", outcome: "Résultat", note: "Note", openRequest: "Ouvrir une demande",
    description: "Objet de la demande", save: "Enregistrer", requestOpened: "Demande ouverte", due: "Échéance",
    requestDesk: "Demandes", agentDesk: "Poste agent", filters: "Filtres", deadline: "Échéance", status: "Statut",
    type: "Type", any: "Tous", mine: "Mes files", noRequests: "Aucune demande", history: "Historique",
    recording: "Message vocal", addNote: "Ajouter une note", answer: "Réponse", answerText: "Texte de la réponse",
    underWorkflow: "Cette demande suit le circuit des réclamations : elle avance sur la page des réclamations, pas ici.",
    callBack: "Rappeler le citoyen", callingBack: "Votre poste sonne, puis le citoyen", number: "Numéro",
    overdue: "en retard", skill: "Niveau", queue: "File", seconds: "s",
    dueFilters: { open: "Ouvertes", due_soon: "Bientôt dues", overdue: "En retard", all: "Toutes" },
    statuses: { new: "nouvelle", in_progress: "en cours", answered: "répondue", closed: "clôturée" },
    channel: "Canal", place: "Lieu", attachments: "Pièces jointes", openMap: "voir sur la carte",
    channels: { phone: "téléphone", web: "portail web", pwa: "application du portail", email: "e-mail", chat: "discussion", paper: "courrier papier", voicemail: "message vocal" },
  },
  ar: {
    myDay: "يومي", state: "الحالة", timeInState: "منذ", callsToday: "المكالمات", talkTime: "مدة المحادثة",
    handleTime: "متوسط مدة المعالجة", todaysCalls: "مكالمات اليوم", close: "إغلاق", closed: "مغلقة",
    ringing: "يرن", requestStatus: "حالة الطلب", previousRequests: "الطلبات السابقة",
    disposition: "إغلاق المكالمة", outcome: "النتيجة", note: "ملاحظة", openRequest: "فتح طلب",
    description: "موضوع الطلب", save: "حفظ", requestOpened: "تم فتح الطلب", due: "الأجل",
    requestDesk: "الطلبات", agentDesk: "مكتب الموظف", filters: "التصفية", deadline: "الأجل", status: "الحالة",
    type: "النوع", any: "الكل", mine: "قوائمي", noRequests: "لا توجد طلبات", history: "السجل",
    recording: "الرسالة الصوتية", addNote: "إضافة ملاحظة", answer: "الرد", answerText: "نص الرد",
    underWorkflow: "هذا الطلب يتبع مسار الشكايات: يتقدم في صفحة الشكايات، لا هنا.",
    callBack: "معاودة الاتصال بالمواطن", callingBack: "يرن هاتفك ثم هاتف المواطن", number: "الرقم",
    overdue: "متأخر", skill: "المستوى", queue: "القائمة", seconds: "ث",
    dueFilters: { open: "مفتوحة", due_soon: "قريبة الأجل", overdue: "متأخرة", all: "الكل" },
    statuses: { new: "جديد", in_progress: "قيد المعالجة", answered: "تم الرد", closed: "مغلق" },
    channel: "القناة", place: "المكان", attachments: "المرفقات", openMap: "عرض على الخريطة",
    channels: { phone: "الهاتف", web: "البوابة الإلكترونية", pwa: "تطبيق البوابة", email: "البريد الإلكتروني", chat: "المحادثة", paper: "البريد الورقي", voicemail: "رسالة صوتية" },
  },
  en: {
    myDay: "My day", state: "State", timeInState: "For", callsToday: "Calls", talkTime: "Talk time",
    handleTime: "Average handle time", todaysCalls: "Today's calls", close: "Close", closed: "closed",
    ringing: "Ringing", requestStatus: "Request status", previousRequests: "Previous requests",
    disposition: "Closing the call", outcome: "Outcome", note: "Note", openRequest: "Open a request",
    description: "What the request is about", save: "Save", requestOpened: "Request opened", due: "Due",
    requestDesk: "Requests", agentDesk: "Agent desk", filters: "Filters", deadline: "Deadline", status: "Status",
    type: "Type", any: "Any", mine: "My queues", noRequests: "No requests", history: "History",
    recording: "Voice message", addNote: "Add a note", answer: "Answer", answerText: "Answer text",
    underWorkflow: "This request follows the complaint workflow: it moves on the complaints page, not here.",
    callBack: "Call the citizen back", callingBack: "Your seat rings, then the citizen", number: "Number",
    overdue: "overdue", skill: "Level", queue: "Queue", seconds: "s",
    dueFilters: { open: "Open", due_soon: "Due soon", overdue: "Overdue", all: "All" },
    statuses: { new: "new", in_progress: "in progress", answered: "answered", closed: "closed" },
    channel: "Channel", place: "Place", attachments: "Attachments", openMap: "see on the map",
    channels: { phone: "phone", web: "web portal", pwa: "portal app", email: "e-mail", chat: "chat", paper: "paper mail", voicemail: "voice message" },
  },
};

// A request's notifications to the citizen (notifications-text.js): its heading, and its texts as `notices`.
for (const [code, notices] of Object.entries(NOTIFICATION_TEXT)) Object.assign(DESK_TEXT[code], { citizenNotifications: notices.title, noNotifications: notices.none, notices });

// The interface in English (the pages' own texts; French and Arabic are in i18n.js).
export const ENGLISH = {
  wallboard: "Queue wallboard", agentPage: "Agent desk", waiting: "Waiting", longest: "Longest wait",
  available: "Available", answered: "Answered", abandoned: "Abandoned", serviceLevel: "Service level",
  callbacks: "Callbacks requested",
  states: { available: "available", ringing: "ringing", on_call: "on a call", wrapup: "wrap-up", paused: "paused", unavailable: "offline" },
  connected: "connected", disconnected: "disconnected — reconnecting…", ami: "Asterisk", token: "Access token",
  signIn: "Sign in", pause: "Pause", unpause: "Resume", login: "Join the queues", logout: "Leave the queues",
  reasons: { lunch: "Lunch", training: "Training", admin: "Administrative work", break: "Short break" },
  caller: "Caller", language: "Language", requestType: "Request type", reference: "Reference",
  previousCalls: "Previous calls", noCall: "No call in progress", skills: "Languages",
  levels: { native: "native", fluent: "fluent", basic: "basic" }, nobody: "Nobody",
};
