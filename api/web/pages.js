// The pages of the site and who may open them: ONE table, read by the start page (index.html). A new page is one
// line here: its address, the roles that may open it (as GET /auth/me says them), and its name in each language.
// The API still decides what each role may do; this list only spares people links that would answer 403.
export const PAGES = [
  { key: "wallboard", href: "/ui/wallboard.html", roles: ["supervisor", "admin", "agent"],
    names: { fr: "Tableau de bord des files et des agents", ar: "لوحة متابعة القوائم والموظفين", en: "Queue and agent wallboard" } },
  { key: "agent", href: "/ui/agent.html", roles: ["agent", "supervisor", "admin"],
    names: { fr: "Poste agent (téléphone, fiche appelant)", ar: "مكتب الموظف (الهاتف، بطاقة المتصل)", en: "Agent desk (phone, caller card)" } },
  { key: "requests", href: "/ui/requests.html", roles: ["agent", "supervisor", "admin"],
    names: { fr: "Demandes des citoyens", ar: "طلبات المواطنين", en: "Citizens' requests" } },
  { key: "reports", href: "/ui/reports.html", roles: ["supervisor", "admin"],
    names: { fr: "Rapports pour le ministère", ar: "تقارير الوزارة", en: "Reports for the ministry" } },
  { key: "guide", href: "/ui/guide.html", roles: ["agent", "supervisor", "admin"],
    names: { fr: "Guide consulaire (recherche, propositions, relecture)", ar: "الدليل القنصلي (بحث، اقتراحات، مراجعة)", en: "Consular guide (search, proposals, review)" } },
  { key: "complaints", href: "/ui/complaints.html", roles: ["desk", "officer", "official", "supervisor", "admin"],
    names: { fr: "Réclamations : accueil, services, validation, tableaux de bord", ar: "الشكايات: الاستقبال، المصالح، المصادقة، لوحات القيادة", en: "Complaints: desk, departments, approval, dashboards" } },
  { key: "chat", href: "/ui/chat.html", roles: ["agent", "supervisor", "admin"],
    names: { fr: "Discussions en direct avec les citoyens", ar: "المحادثات المباشرة مع المواطنين", en: "Live chat with citizens" } },
  { key: "paper", href: "/ui/paper.html", roles: ["agent", "supervisor", "admin", "desk"],
    names: { fr: "Courrier papier (saisie et scan)", ar: "البريد الورقي (إدخال ومسح ضوئي)", en: "Paper mail (entry and scan)" } },
  { key: "prompts", href: "/ui/prompts.html", roles: ["supervisor", "admin"],
    names: { fr: "Messages vocaux (enregistrer, écouter, couverture par langue)", ar: "الرسائل الصوتية (تسجيل، استماع، التغطية حسب اللغة)", en: "Voice prompts (record, listen, coverage per language)" } },
  { key: "closures", href: "/ui/closures.html", roles: ["admin"],
    names: { fr: "Fermetures et jours fériés", ar: "أيام الإغلاق والعطل", en: "Closures and holidays" } },
  { key: "portal", href: "/ui/portal.html", roles: ["agent", "supervisor", "admin", "desk", "officer", "official"],
    names: { fr: "Portail citoyen (public)", ar: "بوابة المواطن (عمومية)", en: "Citizens' portal (public)" } },
  { key: "public-guide", href: "/ui/public-guide.html", roles: ["agent", "supervisor", "admin", "desk", "officer", "official"],
    names: { fr: "Guide public (lecture seule)", ar: "الدليل العمومي (قراءة فقط)", en: "Public guide (read-only)" } },
  { key: "users", href: "/ui/users.html", roles: ["admin"],
    names: { fr: "Comptes du personnel", ar: "حسابات الموظفين", en: "Staff accounts" } },
  { key: "docs", href: "/docs", roles: ["admin"],
    names: { fr: "Documentation de l'API", ar: "توثيق الواجهة البرمجية", en: "API documentation" } },
];

export const START_PAGE = "/ui/index.html";

export function pagesFor(role) {
  return PAGES.filter((page) => page.roles.includes(role));
}
