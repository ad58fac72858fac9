// The guide's search panel, shared by the agent page (during a call), the request desk, guide.html and the public
// guide: a search box with its language, ranked results with highlighted snippets, and the article to read.
// - Text from the server is only ever put in the page as text (textContent): snippets mark matches with U+0002 and
//   U+0003, which become <mark> elements here; Markdown is rendered by building elements, never innerHTML.
// - `selectable`: each result and the open article carry a "used to answer" box; chosen() lists the article ids.
import { GUIDE_LANGUAGES, gt } from "./guide-text.js";

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((child) => child !== null && child !== undefined));
  return node;
};

export function snippetNodes(snippet) {
  const nodes = [];
  for (const [index, part] of snippet.split(/[\u0002\u0003]/).entries()) {
    if (part) nodes.push(index % 2 ? el("mark", { textContent: part }) : document.createTextNode(part));
  }
  return nodes;
}

function inline(text) {
  // **bold** only; the rest stays text
  return text.split(/\*\*(.+?)\*\*/).map((part, index) => (index % 2 ? el("strong", { textContent: part }) : document.createTextNode(part)));
}

export function markdown(text) {
  const root = el("div", { className: "markdown" });
  let list = null;
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (/^[-*] /.test(trimmed)) {
      if (!list) { list = el("ul"); root.append(list); }
      list.append(el("li", {}, ...inline(trimmed.slice(2))));
      continue;
    }
    list = null;
    if (!trimmed) continue;
    const heading = /^(#{1,4}) (.*)$/.exec(trimmed);
    if (heading) root.append(el(`h${Math.min(6, heading[1].length + 2)}`, {}, ...inline(heading[2])));
    else if (trimmed.startsWith("> ")) root.append(el("blockquote", {}, ...inline(trimmed.slice(2))));
    else root.append(el("p", {}, ...inline(trimmed)));
  }
  return root;
}

export function languageOptions(select, lang, { any = true } = {}) {
  const current = select.value;
  select.replaceChildren(
    ...(any ? [new Option(gt(lang, "allLanguages"), "")] : []),
    ...Object.entries(GUIDE_LANGUAGES).map(([code, name]) => new Option(name, code)),
  );
  select.value = current;
}

export class GuidePanel {
  // fetchJson(method, path, body) -> parsed JSON; base "/guide" (staff) or "/portal/guide" (public)
  constructor({ element, fetchJson, base = "/guide", lang = "fr", selectable = false }) {
    Object.assign(this, { element, fetchJson, base, lang, selectable });
    this.used = new Map(); // article id -> title
    this.searchId = null;
    this.build();
  }

  build() {
    this.input = el("input", { type: "search", id: "guide-q", maxLength: 200, required: true });
    this.language = el("select", { id: "guide-language" });
    this.button = el("button", { id: "guide-search" });
    this.form = el("form", { className: "guide-search", role: "search" }, this.input, this.language, this.button);
    this.form.onsubmit = (event) => { event.preventDefault(); this.search(this.input.value); };
    this.notice = el("p", { className: "muted", id: "guide-notice" });
    this.results = el("ul", { id: "guide-results", className: "guide-results" });
    this.article = el("article", { id: "guide-article", className: "guide-article hidden" });
    this.usedList = el("ul", { id: "guide-used", className: "guide-used" });
    this.element.replaceChildren(this.form, this.notice, this.results, this.article, ...(this.selectable ? [this.usedList] : []));
    this.setUiLanguage(this.lang);
  }

  setUiLanguage(lang) {
    this.lang = lang;
    this.input.placeholder = gt(lang, "searchPlaceholder");
    this.button.textContent = gt(lang, "search");
    languageOptions(this.language, lang);
  }

  setSearchLanguage(code) {
    if (code && GUIDE_LANGUAGES[code]) this.language.value = code;
  }

  chosen() { return [...this.used.keys()]; }

  clearChosen() { this.used.clear(); this.renderUsed(); }

  toggleUsed(id, title, on) {
    if (on) this.used.set(id, title); else this.used.delete(id);
    this.renderUsed();
    for (const box of this.element.querySelectorAll(`input[data-article="${id}"]`)) box.checked = on;
  }

  renderUsed() {
    this.usedList.replaceChildren(...[...this.used].map(([id, title]) => el("li", { textContent: `✓ ${title}`, dataset: { article: id } })));
  }

  usedBox(id, title) {
    const box = el("input", { type: "checkbox", checked: this.used.has(id), className: "guide-use" });
    box.dataset.article = id;
    box.onchange = () => this.toggleUsed(id, title, box.checked);
    return el("label", { className: "inline muted" }, box, ` ${gt(this.lang, "used")}`);
  }

  async search(q) {
    const params = new URLSearchParams({ q });
    if (this.language.value) params.set("language", this.language.value);
    const asked = (this.asked = (this.asked || 0) + 1); // only the latest search or suggestion shows its answer
    try {
      const found = await this.fetchJson("GET", `${this.base}/search?${params}`);
      if (asked !== this.asked) return;
      this.searchId = found.search_id;
      const corrected = Object.entries(found.corrections).map(([word, alternatives]) => `${word} → ${alternatives.join(", ")}`);
      this.notice.textContent = corrected.length ? `${gt(this.lang, "corrected")} : ${corrected.join(" · ")}` : "";
      this.showHits(found.hits);
    } catch (failure) {
      this.notice.textContent = failure.message;
    }
  }

  async suggest({ language, request_type, reference }) {
    const params = new URLSearchParams();
    if (language) params.set("language", language);
    if (request_type) params.set("request_type", request_type);
    if (reference) params.set("reference", reference);
    if (!params.has("request_type") && !params.has("reference")) return;
    const asked = (this.asked = (this.asked || 0) + 1);
    try {
      const found = await this.fetchJson("GET", `${this.base}/suggestions?${params}`);
      if (asked !== this.asked) return; // a search typed meanwhile wins over these suggestions
      this.searchId = null;
      this.notice.textContent = found.hits.length ? gt(this.lang, "suggestions") : "";
      this.showHits(found.hits);
    } catch (failure) {
      this.notice.textContent = failure.message;
    }
  }

  showHits(hits) {
    this.article.classList.add("hidden");
    this.results.classList.remove("hidden");
    if (!hits.length) {
      this.results.replaceChildren(el("li", { className: "muted", textContent: gt(this.lang, "noResult") }));
      return;
    }
    this.results.replaceChildren(...hits.map((hit) => {
      const open = el("button", { type: "button", className: "link", textContent: hit.title });
      open.dir = "auto";
      open.onclick = () => this.open(hit);
      const item = el("li", { className: "guide-hit" },
        el("div", {}, open, el("span", { className: "state", textContent: hit.language }),
          el("p", { className: "snippet", dir: "auto" }, ...snippetNodes(hit.snippet))));
      item.dataset.slug = hit.slug;
      item.dataset.article = hit.article_id;
      if (this.selectable) item.append(this.usedBox(hit.article_id, hit.title));
      return item;
    }));
  }

  async open(hit) {
    if (this.searchId) {
      this.fetchJson("POST", `${this.base}/searches/${this.searchId}/click`, { article_id: hit.article_id }).catch(() => {});
    }
    const key = this.base === "/guide" ? hit.article_id : hit.slug;
    const article = await this.fetchJson("GET", `${this.base}/articles/${encodeURIComponent(key)}`);
    this.showArticle(article, hit.language);
  }

  showArticle(article, language) {
    const translations = Object.fromEntries(article.translations.map((t) => [t.language, t]));
    const shown = translations[language] || translations[this.lang] || translations[article.original_language];
    const back = el("button", { type: "button", className: "secondary", textContent: gt(this.lang, "back") });
    back.onclick = () => { this.article.classList.add("hidden"); this.results.classList.remove("hidden"); };
    const tabs = el("div", { className: "actions guide-languages" }, ...article.translations.map((t) => {
      const tab = el("button", { type: "button", className: t.language === shown.language ? "" : "secondary", textContent: GUIDE_LANGUAGES[t.language] || t.language });
      tab.onclick = () => this.showArticle(article, t.language);
      return tab;
    }));
    const badges = el("p", {},
      article.sample ? el("span", { className: "state sample", textContent: gt(this.lang, "sample") }) : null,
      shown.out_of_date ? el("span", { className: "state outdated", textContent: gt(this.lang, "outOfDate") }) : null,
      article.state !== "published" ? el("span", { className: "state", textContent: gt(this.lang, "states")[article.state] }) : null);
    const meta = el("p", { className: "muted" },
      article.last_checked ? `${gt(this.lang, "lastChecked")} ${article.last_checked}` : "",
      article.source ? ` · ${gt(this.lang, "source")} : ${article.source}` : "");
    const body = markdown(shown.body);
    const title = el("h3", { textContent: shown.title, id: "guide-article-title" });
    for (const node of [title, body]) {
      node.lang = shown.language;
      node.dir = shown.language === "ar" ? "rtl" : "ltr";
    }
    this.article.replaceChildren(back, tabs, title, badges, body, meta, ...(this.selectable ? [this.usedBox(article.id, shown.title)] : []));
    this.article.dataset.slug = article.slug;
    this.article.dataset.article = article.id;
    this.article.classList.remove("hidden");
    this.results.classList.add("hidden");
    this.onArticle?.(article, shown);
  }
}
