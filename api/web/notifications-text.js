// Texts of a request's "Notifications to the citizen" list (notifications.js), in French, Arabic and English.
// The request desk's text (desk-text.js) and the complaint screens' (complaints-text.js) take them in as `notices`.
// `reasons` put the worker's last error in plain words (api/channels/notify_desk.py reason_of names the keys).
export const NOTIFICATION_TEXT = {
  fr: {
    title: "Notifications au citoyen", none: "Aucune notification au citoyen pour cette demande.",
    received: "Accusé de réception", status: "Changement d'état : {label}",
    channels: { email: "e-mail", sms: "SMS" },
    queued: "mise en file le {at}", sent: "envoyée le {at}",
    waiting: "en attente — prochain essai le {at} (essai n° {n})", dueNow: "en attente — envoi imminent (essai n° {n})",
    lastFailed: "dernier essai échoué : {reason}", gaveUp: "abandonnée après {n} essais : {reason}",
    requeued: "relancée par {who} le {at}", retry: "Renvoyer",
    kinds: { new: "nouvelle", received: "reçue", assigned: "transmise au service compétent", in_progress: "en cours de traitement",
      answered: "répondue", closed: "clôturée", rejected: "rejetée", duplicate: "rattachée à une autre demande",
      passed_outside: "transmise à un organisme extérieur", reopened: "rouverte" },
    reasons: {
      unreachable: "le serveur d'envoi était injoignable", recipient_refused: "l'adresse a été refusée (elle est peut-être erronée)",
      server_refused: "le serveur de messagerie a refusé le message", login_refused: "le serveur de messagerie a refusé notre connexion (vérifier les réglages)",
      secure_connection: "la connexion sécurisée au serveur de messagerie a échoué", not_configured: "aucun serveur de messagerie n'est configuré pour l'envoi",
      request_gone: "la demande n'existe plus", sms_gateway: "la passerelle SMS a refusé le message", other: "une erreur inattendue",
    },
  },
  ar: {
    title: "الإشعارات الموجهة إلى المواطن", none: "لا توجد إشعارات موجهة إلى المواطن بخصوص هذا الطلب.",
    received: "إشعار بالتوصل", status: "تغيير الحالة: {label}",
    channels: { email: "البريد الإلكتروني", sms: "رسالة قصيرة" },
    queued: "أُدرج للإرسال في {at}", sent: "أُرسل في {at}",
    waiting: "في الانتظار — المحاولة القادمة في {at} (المحاولة رقم {n})", dueNow: "في الانتظار — الإرسال وشيك (المحاولة رقم {n})",
    lastFailed: "فشلت المحاولة الأخيرة: {reason}", gaveUp: "تُخلّي عنه بعد {n} محاولات: {reason}",
    requeued: "أعاد إرساله {who} في {at}", retry: "إعادة الإرسال",
    kinds: { new: "جديد", received: "مستلم", assigned: "أحيل على المصلحة المختصة", in_progress: "قيد المعالجة",
      answered: "تمت الإجابة عنه", closed: "مغلق", rejected: "مرفوض", duplicate: "ضُمّ إلى طلب آخر",
      passed_outside: "أحيل على جهة خارجية", reopened: "أعيد فتحه" },
    reasons: {
      unreachable: "تعذّر الوصول إلى خادم الإرسال", recipient_refused: "رُفض العنوان (ربما يكون خاطئاً)",
      server_refused: "رفض خادم البريد الرسالة", login_refused: "رفض خادم البريد تسجيل دخولنا (تحقق من الإعدادات)",
      secure_connection: "فشل الاتصال الآمن بخادم البريد", not_configured: "لم يُضبط أي خادم بريد للإرسال",
      request_gone: "الطلب لم يعد موجوداً", sms_gateway: "رفضت بوابة الرسائل القصيرة الرسالة", other: "خطأ غير متوقع",
    },
  },
  en: {
    title: "Notifications to the citizen", none: "No notification to the citizen for this request.",
    received: "Acknowledgement of receipt", status: "Status change: {label}",
    channels: { email: "e-mail", sms: "SMS" },
    queued: "queued {at}", sent: "sent {at}",
    waiting: "waiting — next try {at} (attempt {n})", dueNow: "waiting — about to be sent (attempt {n})",
    lastFailed: "last try failed: {reason}", gaveUp: "gave up after {n} attempts: {reason}",
    requeued: "sent again by {who} on {at}", retry: "Send again",
    kinds: { new: "new", received: "received", assigned: "passed to the department in charge", in_progress: "being handled",
      answered: "answered", closed: "closed", rejected: "rejected", duplicate: "joined to another request",
      passed_outside: "passed to another body", reopened: "reopened" },
    reasons: {
      unreachable: "the sending server could not be reached", recipient_refused: "the address was refused (it may be wrong)",
      server_refused: "the mail server refused the message", login_refused: "the mail server refused our login (check the settings)",
      secure_connection: "the secure connection to the mail server failed", not_configured: "no mail server is set up for sending",
      request_gone: "the request no longer exists", sms_gateway: "the SMS gateway refused the message", other: "an unexpected error",
    },
  },
};
