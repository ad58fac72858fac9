// Start page after sign-in: the pages this person's role may open (pages.js, the one list), in their language.
import { TEXT, applyLanguage, chooseLanguage } from "./i18n.js";
import { pagesFor } from "./pages.js";
import { requireSignIn, signOut } from "./session.js";

let lang = chooseLanguage();
let me = null;
const picker = document.getElementById("lang");
picker.value = lang;
picker.onchange = () => { lang = picker.value; applyLanguage(lang); show(); };

function show() {
  const list = document.getElementById("pages");
  list.replaceChildren(...pagesFor(me.role).map((page) => {
    const item = document.createElement("li");
    const link = Object.assign(document.createElement("a"), { href: page.href, textContent: page.names[lang] || page.names.en });
    item.dataset.page = page.key;
    item.append(link);
    return item;
  }));
  const role = (TEXT[lang].roles || {})[me.role] || me.role;
  document.getElementById("who").textContent = `${me.display_name} · ${role}`;
}

document.getElementById("signout").onclick = () => signOut();
me = await requireSignIn();
show();
