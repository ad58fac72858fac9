// Closures and holiday overrides (admins): what the agi processes apply to new calls within their poll interval,
// and the button that has every process re-read the call-center file. Every change is audited by the API.
import { api, requireSignIn, signOut } from "./session.js";

const TEXT = {
  fr: {
    title: "Fermetures et jours fériés", signOut: "Se déconnecter", closures: "Fermer le centre", firstDay: "Du",
    lastDay: "Au (inclus)", reason: "Motif", addClosure: "Ajouter la fermeture", holidays: "Dates d'un jour férié",
    year: "Année", holidayName: "Jour férié", addHoliday: "Fixer les dates", active: "En vigueur", kind: "Type",
    days: "Jours", by: "Par", remove: "Retirer", closure: "fermeture", holiday: "férié",
    configFile: "Fichier de configuration", reload: "Relire le fichier", reloaded: "Relu : génération",
  },
  en: {
    title: "Closures and public holidays", signOut: "Sign out", closures: "Close the call center", firstDay: "From",
    lastDay: "To (inclusive)", reason: "Reason", addClosure: "Add closure", holidays: "A public holiday's dates",
    year: "Year", holidayName: "Holiday", addHoliday: "Set the dates", active: "In force", kind: "Kind",
    days: "Days", by: "By", remove: "Remove", closure: "closure", holiday: "holiday",
    configFile: "Configuration file", reload: "Re-read the file", reloaded: "Re-read: generation",
  },
  ar: {
    title: "أيام الإغلاق والعطل الرسمية", signOut: "تسجيل الخروج", closures: "إغلاق المركز", firstDay: "من",
    lastDay: "إلى (ضمنًا)", reason: "السبب", addClosure: "إضافة إغلاق", holidays: "تواريخ عطلة رسمية",
    year: "السنة", holidayName: "العطلة", addHoliday: "تحديد التواريخ", active: "السارية", kind: "النوع",
    days: "الأيام", by: "بواسطة", remove: "حذف", closure: "إغلاق", holiday: "عطلة",
    configFile: "ملف الإعداد", reload: "إعادة قراءة الملف", reloaded: "أعيدت القراءة: الجيل",
  },
};
let language = "fr";
const t = (key) => (TEXT[language] || TEXT.fr)[key] || key;

function translate() {
  document.documentElement.lang = language;
  document.documentElement.dir = language === "ar" ? "rtl" : "ltr";
  for (const element of document.querySelectorAll("[data-t]")) element.textContent = t(element.dataset.t);
  document.title = t("title");
}

function showError(error) {
  document.getElementById("error").textContent = error ? error.message : "";
}

async function refresh() {
  const rows = await api("GET", "/admin/calendar");
  const body = document.getElementById("overrides");
  body.replaceChildren();
  for (const row of rows) {
    const line = document.createElement("tr");
    const days = row.first_day === row.last_day ? row.first_day : `${row.first_day} → ${row.last_day}`;
    for (const text of [t(row.kind), days, row.reason, row.created_by]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      line.append(cell);
    }
    const button = document.createElement("button");
    button.className = "secondary";
    button.textContent = t("remove");
    button.addEventListener("click", () => change(() => api("DELETE", `/admin/calendar/${row.id}`)));
    const cell = document.createElement("td");
    cell.append(button);
    line.append(cell);
    body.append(line);
  }
}

async function change(action) {
  try {
    await action();
    showError(null);
    await refresh();
  } catch (error) {
    showError(error);
  }
}

function fields(form) {
  const data = Object.fromEntries(new FormData(form));
  if (!data.last_day) delete data.last_day;
  if (data.year) data.year = Number(data.year);
  return data;
}

for (const [id, path] of [["closure-form", "/admin/calendar/closures"], ["holiday-form", "/admin/calendar/holidays"]]) {
  const form = document.getElementById(id);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    change(() => api("POST", path, fields(form))).then(() => { if (!document.getElementById("error").textContent) form.reset(); });
  });
}

document.getElementById("reload").addEventListener("click", async () => {
  try {
    const result = await api("POST", "/admin/config/reload");
    document.getElementById("reloaded").textContent = `${t("reloaded")} ${result.generation} (${result.name})`;
    showError(null);
  } catch (error) {
    showError(error);
  }
});
document.getElementById("signout").addEventListener("click", signOut);
document.getElementById("lang").addEventListener("change", (event) => {
  language = event.target.value;
  translate();
  refresh().catch(showError);
});

const me = await requireSignIn();
language = TEXT[me.language] ? me.language : "fr";
document.getElementById("lang").value = language;
translate();
await refresh().catch(showError);
