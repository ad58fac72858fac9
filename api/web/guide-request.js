// The guide on the request desk: a search panel whose articles ticked "used to answer" are stored with the request
// when its answer is saved (POST /guide/uses), and "propose for the guide", which opens guide.html's writing form
// filled from the open request (its language, description and answer): one more click there sends the proposal.
// It only watches the page (the open request's reference, the answer form): requests.js knows nothing of it.
import { GuidePanel } from "./guide-panel.js";
import { gt } from "./guide-text.js";
import { api } from "./session.js";

const $ = (id) => document.getElementById(id);
const section = $("guide-panel");
const lang = () => $("lang").value || "fr";
const panel = new GuidePanel({ element: section.querySelector(".guide-body"), fetchJson: api, selectable: true, lang: lang() });
const propose = $("guide-propose");
function texts() {
  panel.setUiLanguage(lang());
  section.querySelector("h2").textContent = gt(lang(), "guide");
  propose.textContent = gt(lang(), "proposeFromRequest");
}
texts();
$("lang").addEventListener("change", texts);

const reference = () => $("request-reference").textContent.trim();
let shown = "";
new MutationObserver(() => {
  if (reference() === shown) return;
  shown = reference();
  panel.clearChosen();
  const language = $("request-language").textContent.trim();
  panel.setSearchLanguage(language);
  if (shown) panel.suggest({ language, reference: shown });
}).observe($("request-reference"), { childList: true, characterData: true, subtree: true });

let lastAnswer = "";
$("answer-form").addEventListener("submit", async () => {
  lastAnswer = $("answer-text").value.trim() || lastAnswer;
  const articles = panel.chosen();
  if (!reference() || !articles.length) return;
  try {
    await api("POST", "/guide/uses", { article_ids: articles, request: reference() });
    panel.clearChosen();
    panel.notice.textContent = gt(lang(), "usedSaved");
    section.dataset.saved = reference();
  } catch (failure) {
    panel.notice.textContent = failure.message;
  }
});

propose.onclick = () => {
  const description = $("request-description").textContent.trim();
  const answer = $("answer-text").value.trim() || lastAnswer;
  const params = new URLSearchParams({
    from_request: reference(),
    language: $("request-language").textContent.trim(),
    title: description.split("\n")[0].slice(0, 120),
    text: answer || description,
  });
  window.open(`guide.html?${params}`, "_blank");
};
