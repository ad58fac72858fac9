// guide.html: the consular guide for staff. Everyone searches, reads, writes new articles (straight to review) and
// proposes amendments; supervisors and admins also review (proposals, articles in review), edit, publish, archive,
// keep the synonyms and read the report of what was searched and not found (api.routes.guide enforces all this).
// ?from_request=REF&language=..&text=.. opens the writing form filled from an answered request (the request desk's
// "propose for the guide" button): one more click sends it.
import { applyLanguage, chooseLanguage } from "./i18n.js";
import { GuidePanel, languageOptions } from "./guide-panel.js";
import { GUIDE_LANGUAGES, gt } from "./guide-text.js";
import { api, requireSignIn, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => { const node = Object.assign(document.createElement(tag), props); node.append(...children); return node; };
let lang = chooseLanguage();
let me = null;
let current = null; // the article open in the search tab
const supervisor = () => me && (me.role === "supervisor" || me.role === "admin");
const panel = new GuidePanel({ element: $("search-panel"), fetchJson: api, lang });
panel.onArticle = (article, shown) => showActions(article, shown);

async function act(work) {
  $("guide-error").textContent = "";
  try { return await work(); } catch (failure) { $("guide-error").textContent = failure.message; return null; }
}

function texts() {
  applyLanguage(lang);
  $("guide-title").textContent = gt(lang, "guide");
  for (const node of document.querySelectorAll("[data-g]")) node.textContent = gt(lang, node.dataset.g);
  panel.setUiLanguage(lang);
  for (const id of ["propose-language", "edit-language", "write-language"]) languageOptions($(id), lang, { any: false });
  const states = $("articles-state");
  const chosen = states.value;
  states.replaceChildren(new Option(gt(lang, "all"), ""), ...Object.entries(gt(lang, "states")).map(([key, name]) => new Option(name, key)));
  states.value = chosen;
}

function showTab(name) {
  for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("hidden", tab.id !== `tab-${name}`);
  for (const button of document.querySelectorAll("#tabs button")) button.setAttribute("aria-selected", String(button.dataset.tab === name));
  ({ articles: loadArticles, review: loadReview, synonyms: loadSynonyms, report: loadReport, write: loadWrite })[name]?.();
}

// -- one article: its state, amendments, edits, history --------------------------------------------------------

const MOVES = { draft: ["in_review", "published", "archived"], in_review: ["published", "draft", "archived"], published: ["archived", "in_review"], archived: ["draft"] };
const MOVE_TEXT = { in_review: "toReview", published: "publish", archived: "archive", draft: "toDraft" };

function showActions(article, shown) {
  current = article;
  $("article-actions").classList.remove("hidden");
  const mine = me && article.created_by === me.username;
  const moves = (MOVES[article.state] || []).filter((to) => supervisor() || (mine && ["in_review", "draft"].includes(to) && article.state !== "published"));
  $("state-actions").replaceChildren(...moves.map((to) => {
    const button = el("button", { type: "button", className: to === "published" ? "" : "secondary", textContent: gt(lang, MOVE_TEXT[to]) });
    button.dataset.state = to;
    button.onclick = () => act(async () => { const moved = await api("POST", `/guide/articles/${article.id}/state`, { state: to }); panel.showArticle(moved, shown.language); });
    return button;
  }));
  for (const prefix of ["propose", "edit"]) {
    $(`${prefix}-language`).value = shown.language;
    $(`${prefix}-title`).value = shown.title;
    $(`${prefix}-body`).value = shown.body;
  }
  act(async () => {
    const rows = await api("GET", `/guide/articles/${article.id}/history`);
    $("history").replaceChildren(...rows.map((row) => el("li", {},
      el("span", { textContent: `${row.created_at.slice(0, 16).replace("T", " ")} · ${row.author} · ${row.action} ${row.language || ""} ${row.version ? `v${row.version}` : ""} ${row.to_state ? `${row.from_state} → ${row.to_state}` : ""} ${row.note}` }),
      ...(row.body ? [el("div", { className: "prewrap", dir: "auto", textContent: row.body })] : []))));
  });
}

$("propose-form").onsubmit = (event) => {
  event.preventDefault();
  act(async () => {
    await api("POST", `/guide/articles/${current.id}/proposals`, {
      language: $("propose-language").value, title: $("propose-title").value, body: $("propose-body").value, note: $("propose-note").value,
    });
    $("propose-box").open = false;
    $("guide-error").textContent = gt(lang, "proposed");
  });
};

$("edit-form").onsubmit = (event) => {
  event.preventDefault();
  act(async () => {
    const edited = await api("PATCH", `/guide/articles/${current.id}`, {
      translations: [{ language: $("edit-language").value, title: $("edit-title").value, body: $("edit-body").value }], note: $("edit-note").value,
    });
    panel.showArticle(edited, $("edit-language").value);
  });
};

// -- lists ------------------------------------------------------------------------------------------------------

function titleOf(summary) { return summary.titles[lang] || summary.titles.fr || Object.values(summary.titles)[0] || summary.slug; }

async function openArticle(id) {
  showTab("search");
  const article = await act(() => api("GET", `/guide/articles/${id}`));
  if (article) panel.showArticle(article, lang);
}

function articleItem(summary) {
  const open = el("button", { type: "button", className: "link", textContent: titleOf(summary) });
  open.onclick = () => openArticle(summary.id);
  const item = el("li", {}, open, el("span", { className: "state", textContent: gt(lang, "states")[summary.state] }));
  if (summary.out_of_date.length) item.append(el("span", { className: "state outdated", textContent: `${gt(lang, "outOfDate")}: ${summary.out_of_date.join(", ")}` }));
  item.dataset.slug = summary.slug;
  return item;
}

async function loadArticles() {
  const state = $("articles-state").value;
  const rows = await act(() => api("GET", `/guide/articles${state ? `?state=${state}` : ""}`));
  if (rows) $("articles").replaceChildren(...rows.map(articleItem));
}

async function loadReview() {
  const proposals = await act(() => api("GET", "/guide/proposals"));
  if (proposals) {
    $("proposals").replaceChildren(...proposals.map((proposal) => {
      const decide = (accept) => act(async () => { await api("POST", `/guide/proposals/${proposal.id}/review`, { accept }); loadReview(); });
      const accept = el("button", { type: "button", textContent: gt(lang, "accept") });
      accept.onclick = () => decide(true);
      const reject = el("button", { type: "button", className: "secondary", textContent: gt(lang, "reject") });
      reject.onclick = () => decide(false);
      const item = el("li", { className: "history" },
        el("strong", { textContent: `${proposal.article_slug} · ${proposal.language} · ${proposal.proposed_by}${proposal.request_id ? ` · ${gt(lang, "fromRequest")} ${proposal.request_id}` : ""}` }),
        el("span", { dir: "auto", textContent: proposal.title }),
        el("div", { className: "prewrap", dir: "auto", textContent: proposal.body }),
        el("span", { className: "muted", textContent: proposal.note }),
        el("div", { className: "actions" }, accept, reject));
      item.dataset.proposal = proposal.id;
      return item;
    }));
  }
  const waiting = await act(() => api("GET", "/guide/articles?state=in_review"));
  if (waiting) $("in-review").replaceChildren(...waiting.map(articleItem));
}

async function loadSynonyms() {
  const rows = await act(() => api("GET", "/guide/synonyms"));
  if (!rows) return;
  $("synonyms").replaceChildren(...rows.map((row) => {
    const remove = el("button", { type: "button", className: "secondary", textContent: gt(lang, "delete") });
    remove.onclick = () => act(async () => { await api("DELETE", `/guide/synonyms/${row.id}`); loadSynonyms(); });
    return el("li", {}, el("span", { dir: "auto", textContent: row.terms.join(" · ") }), remove);
  }));
}

$("synonym-form").onsubmit = (event) => {
  event.preventDefault();
  const terms = $("synonym-terms").value.split(/[,،]/).map((term) => term.trim()).filter(Boolean);
  act(async () => { await api("POST", "/guide/synonyms", { terms }); $("synonym-terms").value = ""; loadSynonyms(); });
};

async function loadReport() {
  const report = await act(() => api("GET", "/guide/report"));
  if (!report) return;
  $("report-not-found").replaceChildren(...report.not_found.map((row) => el("li", {},
    el("span", { dir: "auto", textContent: `${row.query} (${row.language || "*"})` }),
    el("span", { className: "muted", textContent: `${row.searches} ${gt(lang, "searches")} · ${row.zero_results} ${gt(lang, "zero")} · ${row.without_click} ${gt(lang, "noClick")}` }))));
  $("report-most-asked").replaceChildren(...report.most_asked.map((row) => el("li", {},
    el("span", { dir: "auto", textContent: `${row.query} (${row.language || "*"})` }),
    el("span", { className: "muted", textContent: `${row.searches} ${gt(lang, "searches")}` }))));
}

// -- writing: a new article for review, or an amendment of an existing one --------------------------------------

const asked = new URLSearchParams(location.search);

async function loadWrite() {
  const [categories, articles] = await Promise.all([act(() => api("GET", "/guide/categories")), act(() => api("GET", "/guide/articles?state=published"))]);
  if (categories) {
    const chosen = $("write-category").value;
    $("write-category").replaceChildren(new Option("–", ""), ...categories.map((c) => new Option(c.names[lang] || c.names.fr || c.slug, c.slug)));
    $("write-category").value = chosen;
  }
  if (articles) {
    const chosen = $("write-amend").value;
    $("write-amend").replaceChildren(new Option(gt(lang, "proposeNew"), ""), ...articles.map((a) => new Option(titleOf(a), a.id)));
    $("write-amend").value = chosen;
  }
}

function slugOf(title) {
  const folded = title.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return (folded || "article").slice(0, 80) + "-" + Date.now().toString(36);
}

$("write-form").onsubmit = (event) => {
  event.preventDefault();
  const language = $("write-language").value;
  const translation = { language, title: $("write-title").value, body: $("write-body").value };
  const fromRequest = asked.get("from_request") || null;
  act(async () => {
    let done;
    if ($("write-amend").value) {
      done = await api("POST", `/guide/articles/${$("write-amend").value}/proposals`, { ...translation, from_request: fromRequest });
    } else {
      done = await api("POST", "/guide/articles", {
        slug: $("write-slug").value || slugOf(translation.title), category: $("write-category").value || null,
        original_language: language, request_type: $("write-type").value ? Number($("write-type").value) : null,
        tags: $("write-tags").value.split(",").map((tag) => tag.trim()).filter(Boolean),
        translations: [translation], submit: true, from_request: fromRequest,
      });
    }
    $("write-result").textContent = `${gt(lang, "proposed")} ✓`;
    $("write-result").dataset.done = done.id;
  });
};

// -- start --------------------------------------------------------------------------------------------------------

$("lang").value = lang;
$("lang").onchange = () => { lang = $("lang").value; texts(); };
$("signout").onclick = () => signOut();
for (const button of document.querySelectorAll("#tabs button")) button.onclick = () => showTab(button.dataset.tab);
$("articles-state").onchange = loadArticles;
texts();
me = await requireSignIn();
for (const node of document.querySelectorAll(".supervisor")) node.classList.toggle("hidden", !supervisor());
if (asked.get("from_request")) {
  $("write-from").textContent = `${gt(lang, "fromRequest")} ${asked.get("from_request")}`;
  if (GUIDE_LANGUAGES[asked.get("language")]) $("write-language").value = asked.get("language");
  $("write-body").value = asked.get("text") || "";
  $("write-title").value = (asked.get("title") || "").slice(0, 300);
  $("write-type").value = asked.get("request_type") || "";
  showTab("write");
} else {
  showTab(asked.get("tab") || "search");
}
