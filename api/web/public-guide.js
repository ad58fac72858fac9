// The public guide: published articles in every language (Arabic right to left), searched like the agents do, on a
// phone first. No sign-in and no session.js: it only reads /portal/guide/* and the category tree.
import { GuidePanel } from "./guide-panel.js";
import { GUIDE_LANGUAGES, GUIDE_TEXT, gt } from "./guide-text.js";

const $ = (id) => document.getElementById(id);
// a public page keeps nothing in its fragment (a staff token pasted by mistake leaves the address bar)
if (location.hash) history.replaceState(null, "", location.pathname + location.search);
const asked = new URLSearchParams(location.search).get("lang");
const browser = (navigator.language || "fr").slice(0, 2);
let lang = [asked, localStorage.getItem("ivr-guide-lang"), browser].find((code) => code && GUIDE_LANGUAGES[code]) || "fr";

async function fetchJson(method, path, body) {
  const response = await fetch(path, {
    method, headers: body === undefined ? {} : { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not a problem body */ }
    throw new Error(`${response.status} ${detail}`);
  }
  return response.status === 204 ? null : response.json();
}

const uiLang = () => (GUIDE_TEXT[lang] ? lang : "fr");
const panel = new GuidePanel({ element: $("public-search"), fetchJson, base: "/portal/guide", lang: uiLang() });
let categories = [];
let articles = [];

function render() {
  localStorage.setItem("ivr-guide-lang", lang);
  document.documentElement.lang = lang;
  document.documentElement.dir = lang === "ar" ? "rtl" : "ltr";
  $("public-title").textContent = gt(uiLang(), "publicGuide");
  $("public-categories").textContent = gt(uiLang(), "categories");
  panel.setUiLanguage(uiLang());
  panel.setSearchLanguage(lang);
  const name = (category) => category.names[lang] || category.names[uiLang()] || category.names.fr || category.slug;
  const groups = categories.filter((category) => category.parent !== null || !categories.some((c) => c.parent === category.slug));
  $("public-articles").replaceChildren(...groups.flatMap((category) => {
    const inside = articles.filter((article) => article.category === category.slug);
    if (!inside.length) return [];
    const heading = document.createElement("li");
    heading.append(Object.assign(document.createElement("strong"), { textContent: name(category) }));
    return [heading, ...inside.map((article) => {
      const item = document.createElement("li");
      const open = Object.assign(document.createElement("button"), { type: "button", className: "link" });
      open.textContent = article.titles[lang] || article.titles[uiLang()] || article.titles.fr || Object.values(article.titles)[0];
      open.dir = "auto";
      open.onclick = () => { panel.open({ slug: article.slug, article_id: article.id, language: lang }); window.scrollTo(0, 0); };
      item.dataset.slug = article.slug;
      item.append(open);
      return item;
    })];
  }));
}

const picker = $("lang");
picker.replaceChildren(...Object.entries(GUIDE_LANGUAGES).map(([code, label]) => new Option(label, code)));
picker.value = lang;
picker.onchange = () => { lang = picker.value; render(); };
[categories, articles] = await Promise.all([fetchJson("GET", "/guide/categories"), fetchJson("GET", "/portal/guide/articles")]);
render();
