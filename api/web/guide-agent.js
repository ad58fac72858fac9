// The guide on the agent page: a search panel that follows the call on hand (its language, and articles suggested
// from the request type and the reference keyed in the IVR), and the articles ticked "used to answer" stored with
// the call's disposition once desk.js has filed it (POST /guide/uses). It only watches the page (the caller card's
// data-linkedid, the disposition's data-filed): agent.js and desk.js know nothing of it.
import { GuidePanel } from "./guide-panel.js";
import { gt } from "./guide-text.js";
import { cardOf } from "./callercard.js";
import { api } from "./session.js";

const section = document.getElementById("guide-panel");
const title = section.querySelector("h2");
const lang = () => document.getElementById("lang").value || "fr";
const panel = new GuidePanel({ element: section.querySelector(".guide-body"), fetchJson: api, selectable: true, lang: lang() });
title.textContent = gt(lang(), "guide");
document.getElementById("lang").addEventListener("change", () => { panel.setUiLanguage(lang()); title.textContent = gt(lang(), "guide"); });

const card = document.getElementById("caller-card");
let call = ""; // the last call the card showed: the card empties when it ends, and the ticks stay for its disposition
new MutationObserver(() => {
  const linkedid = card.dataset.linkedid || "";
  if (!linkedid || linkedid === call) return;
  call = linkedid;
  const context = linkedid ? cardOf(linkedid) : null;
  if (!context) return;
  panel.clearChosen();
  delete section.dataset.saved;
  panel.setSearchLanguage(context.language);
  panel.suggest({ language: context.language, request_type: context.request_type, reference: context.reference });
}).observe(card, { attributes: true, attributeFilter: ["data-linkedid"] });

const disposition = document.getElementById("disposition");
new MutationObserver(async () => {
  const linkedid = disposition.dataset.filed;
  const articles = panel.chosen();
  if (!linkedid || !articles.length) return;
  const seat = document.getElementById("seat").textContent.trim();
  try {
    await api("POST", "/guide/uses", { article_ids: articles, linkedid, seat });
    panel.clearChosen();
    panel.notice.textContent = gt(lang(), "usedSaved");
    section.dataset.saved = linkedid;
  } catch (failure) {
    panel.notice.textContent = failure.message;
  }
}).observe(disposition, { attributes: true, attributeFilter: ["data-filed"] });
