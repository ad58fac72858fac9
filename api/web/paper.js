// Desk staff enter a letter received by post, with its scan (pictures or PDF): it becomes a request whose channel
// is "paper". Signed-in staff only (session.js).
import { currentUser, requireSignIn, screenToken, signOut } from "./session.js";

const TEXT = {
  fr: { title: "Courrier papier", type: "Type de demande", language: "Langue du courrier", description: "Contenu",
    contact: "Adresse, e-mail ou téléphone de l'expéditeur", place: "Lieu concerné", scans: "Scan du courrier",
    save: "Enregistrer", saved: "Demande enregistrée : {reference}", signOut: "Se déconnecter",
    category: "Catégorie", categoryUnsure: "Non précisée" },
  ar: { title: "البريد الورقي", type: "نوع الطلب", language: "لغة الرسالة", description: "المضمون",
    contact: "عنوان المرسل أو بريده الإلكتروني أو هاتفه", place: "المكان المعني", scans: "نسخة ممسوحة من الرسالة",
    save: "تسجيل", saved: "تم تسجيل الطلب: {reference}", signOut: "تسجيل الخروج",
    category: "الفئة", categoryUnsure: "غير محددة" },
  en: { title: "Paper mail", type: "Kind of request", language: "Language of the letter", description: "Content",
    contact: "Sender's address, e-mail or phone", place: "Place concerned", scans: "Scan of the letter",
    save: "Save", saved: "Request recorded: {reference}", signOut: "Sign out",
    category: "Category", categoryUnsure: "Not given" },
};
const $ = (id) => document.getElementById(id);

// The categories of the chosen request type (GET /portal/config, as the portal offers them); hidden for a type
// without, and then not sent.
function fillCategories(categories, language) {
  const type = Number($("type").value);
  const offered = categories.filter((category) => category.request_types.includes(type));
  const chosen = $("category").value;
  $("category").replaceChildren(new Option((TEXT[language] || TEXT.fr).categoryUnsure, ""), ...offered.map(
    (category) => new Option(category.names[language] || category.names.fr || category.key, category.key)));
  $("category").value = offered.some((category) => category.key === chosen) ? chosen : "";
  $("category-field").classList.toggle("hidden", offered.length === 0);
}

async function start() {
  const me = await requireSignIn();
  const words = TEXT[me.language] || TEXT.fr;
  document.documentElement.lang = me.language;
  document.documentElement.dir = me.language === "ar" ? "rtl" : "ltr";
  for (const node of document.querySelectorAll("[data-p]")) node.textContent = words[node.dataset.p];
  const config = await (await fetch("/portal/config")).json();
  $("type").replaceChildren(...config.request_types.map((kind) => new Option(
    kind.names[me.language] || kind.names.fr || kind.key, String(kind.number))));
  const categories = config.categories || [];
  fillCategories(categories, me.language);
  $("type").addEventListener("change", () => fillCategories(categories, me.language));
  $("language").replaceChildren(...config.languages.map((code) => new Option(code, code, false, code === me.language)));
  $("signout").addEventListener("click", signOut);
  $("paper-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData();
    for (const name of ["request_type", "category", "language", "description", "contact", "location_text"]) {
      const value = $("paper-form").elements[name].value;
      if (value) body.append(name, value);
    }
    for (const file of $("scans").files) body.append("scans", file, file.name);
    const headers = {};
    const token = screenToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    else headers["X-CSRF-Token"] = currentUser().csrf_token;
    const response = await fetch("/requests/paper", { method: "POST", body, headers, credentials: "same-origin" });
    const answer = await response.json();
    $("result").textContent = response.ok ? words.saved.replace("{reference}", answer.reference) : answer.detail;
    if (response.ok) {
      $("paper-form").reset();
      fillCategories(categories, me.language);
    }
  });
  document.body.dataset.ready = "1";
}

start();
