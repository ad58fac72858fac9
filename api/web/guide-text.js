// Texts of the consular guide's pages and panels (guide.html, the agent page's panel, the request desk's panel,
// the public guide), in French, Arabic and English; `gt(lang, key)` falls back to French.
export const GUIDE_TEXT = {
  fr: {
    guide: "Guide consulaire", search: "Rechercher", searchPlaceholder: "Mots de la question…", allLanguages: "Toutes les langues",
    noResult: "Aucun article trouvé.", suggestions: "Articles suggérés", used: "Utilisé pour répondre", usedSaved: "Articles enregistrés avec la clôture",
    back: "Retour", sample: "EXEMPLE", outOfDate: "traduction à revoir", lastChecked: "Vérifié le", source: "Source",
    history: "Historique", propose: "Proposer une modification", proposeNew: "Proposer un nouvel article", proposeSend: "Envoyer la proposition",
    review: "À relire", articles: "Articles", synonyms: "Synonymes", report: "Questions non trouvées / les plus posées",
    write: "Rédiger", title: "Titre", body: "Texte (Markdown)", language: "Langue", slug: "Identifiant (slug)", category: "Catégorie",
    requestType: "Type de demande", tags: "Mots-clés", note: "Note", save: "Enregistrer", submit: "Soumettre à relecture",
    accept: "Accepter", reject: "Refuser", publish: "Publier", archive: "Archiver", toDraft: "Repasser en brouillon", toReview: "Soumettre",
    states: { draft: "brouillon", in_review: "en relecture", published: "publié", archived: "archivé" },
    addSynonyms: "Ajouter un groupe (termes séparés par des virgules)", delete: "Supprimer",
    notFound: "Recherches sans résultat ou sans clic", mostAsked: "Questions les plus posées", searches: "recherches",
    zero: "sans résultat", noClick: "sans clic", proposed: "Proposition envoyée", fromRequest: "Depuis la demande",
    proposeFromRequest: "Proposer pour le guide", corrected: "Compris comme", publicGuide: "Guide des services consulaires",
    categories: "Rubriques", all: "Tout",
  },
  ar: {
    guide: "الدليل القنصلي", search: "بحث", searchPlaceholder: "كلمات السؤال…", allLanguages: "كل اللغات",
    noResult: "لم يتم العثور على أي مقال.", suggestions: "مقالات مقترحة", used: "استُعمل في الرد", usedSaved: "حُفظت المقالات مع إغلاق المكالمة",
    back: "رجوع", sample: "مثال", outOfDate: "ترجمة تحتاج مراجعة", lastChecked: "تاريخ التحقق", source: "المصدر",
    history: "السجل", propose: "اقتراح تعديل", proposeNew: "اقتراح مقال جديد", proposeSend: "إرسال الاقتراح",
    review: "للمراجعة", articles: "المقالات", synonyms: "المرادفات", report: "أسئلة بلا جواب / الأكثر طرحا",
    write: "تحرير", title: "العنوان", body: "النص (Markdown)", language: "اللغة", slug: "المعرّف", category: "الفئة",
    requestType: "نوع الطلب", tags: "كلمات مفتاحية", note: "ملاحظة", save: "حفظ", submit: "إرسال للمراجعة",
    accept: "قبول", reject: "رفض", publish: "نشر", archive: "أرشفة", toDraft: "إرجاع إلى مسودة", toReview: "إرسال",
    states: { draft: "مسودة", in_review: "قيد المراجعة", published: "منشور", archived: "مؤرشف" },
    addSynonyms: "إضافة مجموعة (مصطلحات تفصلها فواصل)", delete: "حذف",
    notFound: "عمليات بحث بلا نتيجة أو بلا نقر", mostAsked: "الأسئلة الأكثر طرحا", searches: "عمليات بحث",
    zero: "بلا نتيجة", noClick: "بلا نقر", proposed: "تم إرسال الاقتراح", fromRequest: "من الطلب",
    proposeFromRequest: "اقتراح للدليل", corrected: "فُهم على أنه", publicGuide: "دليل الخدمات القنصلية",
    categories: "الأبواب", all: "الكل",
  },
  en: {
    guide: "Consular guide", search: "Search", searchPlaceholder: "Words of the question…", allLanguages: "All languages",
    noResult: "No article found.", suggestions: "Suggested articles", used: "Used to answer", usedSaved: "Articles saved with the disposition",
    back: "Back", sample: "SAMPLE", outOfDate: "translation to review", lastChecked: "Checked on", source: "Source",
    history: "History", propose: "Propose an amendment", proposeNew: "Propose a new article", proposeSend: "Send the proposal",
    review: "To review", articles: "Articles", synonyms: "Synonyms", report: "Not found / most asked",
    write: "Write", title: "Title", body: "Text (Markdown)", language: "Language", slug: "Identifier (slug)", category: "Category",
    requestType: "Request type", tags: "Tags", note: "Note", save: "Save", submit: "Submit for review",
    accept: "Accept", reject: "Reject", publish: "Publish", archive: "Archive", toDraft: "Back to draft", toReview: "Submit",
    states: { draft: "draft", in_review: "in review", published: "published", archived: "archived" },
    addSynonyms: "Add a group (terms separated by commas)", delete: "Delete",
    notFound: "Searches with no result or no click", mostAsked: "Most asked questions", searches: "searches",
    zero: "no result", noClick: "no click", proposed: "Proposal sent", fromRequest: "From request",
    proposeFromRequest: "Propose for the guide", corrected: "Taken as", publicGuide: "Guide to consular services",
    categories: "Sections", all: "All",
  },
};

export const GUIDE_LANGUAGES = { ar: "العربية", zgh: "ⵜⴰⵎⴰⵣⵉⵖⵜ", fr: "Français", en: "English", es: "Español", nl: "Nederlands", it: "Italiano", de: "Deutsch" };

export function gt(lang, key) {
  return (GUIDE_TEXT[lang] || GUIDE_TEXT.fr)[key] ?? GUIDE_TEXT.fr[key];
}
