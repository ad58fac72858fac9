// Texts of the complaint screens (desk, department queue, approval, dashboards) in French, Arabic and English.
// complaints.js fills every [data-c] node from here; stage and action names too.
import { NOTIFICATION_TEXT } from "./notifications-text.js";

export const COMPLAINT_TEXT = {
  fr: {
    title: "Réclamations", desk: "Accueil (tri)", queue: "File du service", approval: "À approuver",
    dashboard: "Tableau de bord", empty: "Aucune demande", category: "Catégorie", department: "Service",
    channel: "Canal", district: "Quartier", assignee: "Chargé", stageDue: "Échéance de l'étape",
    answerDue: "Échéance de réponse", description: "Objet", contact: "Contact", answer: "Réponse",
    action: "Action", duplicateOf: "Doublon de (référence)", comment: "Commentaire", reason: "Motif (obligatoire)",
    answerText: "Réponse au citoyen", apply: "Valider", noAction: "Aucune action possible pour vous à cette étape.",
    history: "Historique", total: "Reçues", open: "Ouvertes", overdue: "En retard", atRisk: "À risque",
    satisfaction: "Satisfaction /5", csv: "Export CSV", byCategory: "Par catégorie", byDepartment: "Par service",
    byDistrict: "Par quartier", byStage: "Par étape", medianStage: "Durée médiane par étape (h)",
    trend: "Tendance (semaine : reçues / clôturées)", none: "–", done: "Enregistré",
    stages: { received: "reçue", assigned: "affectée", in_progress: "en traitement", answer_proposed: "réponse proposée",
      answer_approved: "réponse approuvée", closed: "clôturée", sent_back: "renvoyée à l'accueil", rejected: "rejetée",
      duplicate: "doublon", passed_outside: "transmise à un organisme externe", reopened: "rouverte" },
    actions: { route: "Affecter à un service", take: "Prendre en charge / attribuer", send_back: "Renvoyer à l'accueil",
      propose: "Proposer une réponse", approve: "Approuver la réponse", return: "Renvoyer la réponse pour reprise",
      close: "Clôturer (réponse envoyée)", reject: "Rejeter", duplicate: "Marquer comme doublon",
      pass_outside: "Transmettre à un organisme externe", reopen: "Rouvrir" },
  },
  ar: {
    title: "الشكايات", desk: "الاستقبال (الفرز)", queue: "قائمة المصلحة", approval: "في انتظار المصادقة",
    dashboard: "لوحة القيادة", empty: "لا توجد طلبات", category: "الصنف", department: "المصلحة",
    channel: "القناة", district: "الحي", assignee: "المكلف", stageDue: "أجل المرحلة",
    answerDue: "أجل الجواب", description: "الموضوع", contact: "وسيلة الاتصال", answer: "الجواب",
    action: "الإجراء", duplicateOf: "مكرر للطلب (المرجع)", comment: "تعليق", reason: "السبب (إلزامي)",
    answerText: "الجواب للمواطن", apply: "تأكيد", noAction: "لا يوجد إجراء متاح لك في هذه المرحلة.",
    history: "السجل", total: "الواردة", open: "المفتوحة", overdue: "المتأخرة", atRisk: "مهددة بالتأخر",
    satisfaction: "الرضا /5", csv: "تصدير CSV", byCategory: "حسب الصنف", byDepartment: "حسب المصلحة",
    byDistrict: "حسب الحي", byStage: "حسب المرحلة", medianStage: "المدة الوسيطة لكل مرحلة (ساعة)",
    trend: "المنحى (أسبوع: واردة / مغلقة)", none: "–", done: "تم التسجيل",
    stages: { received: "واردة", assigned: "محالة", in_progress: "قيد المعالجة", answer_proposed: "جواب مقترح",
      answer_approved: "جواب مصادق عليه", closed: "مغلقة", sent_back: "مرجعة إلى الاستقبال", rejected: "مرفوضة",
      duplicate: "مكررة", passed_outside: "محالة على جهة خارجية", reopened: "أعيد فتحها" },
    actions: { route: "إحالة على مصلحة", take: "التكفل / الإسناد", send_back: "إرجاع إلى الاستقبال",
      propose: "اقتراح جواب", approve: "المصادقة على الجواب", return: "إرجاع الجواب للمراجعة",
      close: "إغلاق (تم إرسال الجواب)", reject: "رفض", duplicate: "تحديد كمكرر",
      pass_outside: "إحالة على جهة خارجية", reopen: "إعادة الفتح" },
  },
  en: {
    title: "Complaints", desk: "Desk (triage)", queue: "Department queue", approval: "To approve",
    dashboard: "Dashboard", empty: "No requests", category: "Category", department: "Department",
    channel: "Channel", district: "District", assignee: "Assignee", stageDue: "Stage deadline",
    answerDue: "Answer deadline", description: "Subject", contact: "Contact", answer: "Answer",
    action: "Action", duplicateOf: "Duplicate of (reference)", comment: "Comment", reason: "Reason (required)",
    answerText: "Answer to the citizen", apply: "Apply", noAction: "No action is open to you at this stage.",
    history: "History", total: "Received", open: "Open", overdue: "Overdue", atRisk: "At risk",
    satisfaction: "Satisfaction /5", csv: "CSV export", byCategory: "By category", byDepartment: "By department",
    byDistrict: "By district", byStage: "By stage", medianStage: "Median time per stage (h)",
    trend: "Trend (week: received / closed)", none: "–", done: "Saved",
    stages: { received: "received", assigned: "assigned", in_progress: "in progress", answer_proposed: "answer proposed",
      answer_approved: "answer approved", closed: "closed", sent_back: "sent back to the desk", rejected: "rejected",
      duplicate: "duplicate", passed_outside: "passed to an outside body", reopened: "reopened" },
    actions: { route: "Route to a department", take: "Take / assign", send_back: "Send back to the desk",
      propose: "Propose an answer", approve: "Approve the answer", return: "Return the answer for rework",
      close: "Close (answer sent)", reject: "Reject", duplicate: "Mark as duplicate",
      pass_outside: "Pass to an outside body", reopen: "Reopen" },
  },
};
// A request's notifications to the citizen (notifications-text.js): its heading, and its texts as `notices`.
for (const [code, notices] of Object.entries(NOTIFICATION_TEXT)) Object.assign(COMPLAINT_TEXT[code], { citizenNotifications: notices.title, noNotifications: notices.none, notices });
// Actions whose comment is required (callcenter/workflow.py TRANSITIONS: needs_comment); the answer for "propose".
export const NEEDS_COMMENT = new Set(["send_back", "propose", "return", "reject", "pass_outside", "reopen"]);
