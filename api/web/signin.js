// Sign-in page: POST /auth/login with a username and password (JSON), then back to the page that sent us here
// (?next=, only a page of this site under /ui/) or the role's home page. The session cookie is set by the API and
// is HttpOnly: this script never sees it.
import { TEXT, applyLanguage, chooseLanguage } from "./i18n.js";

const HOME = "/ui/index.html"; // the start page lists what each role may open (pages.js)
let lang = chooseLanguage();
const picker = document.getElementById("lang");
picker.value = lang;
picker.onchange = () => { lang = picker.value; applyLanguage(lang); };

function destination() {
  const next = new URLSearchParams(location.search).get("next") || "";
  // never an open redirect: a path of ours, not "//elsewhere" or "https://elsewhere"
  return /^\/ui\/[\w./?=&%-]*$/.test(next) && !next.startsWith("/ui/signin.html") ? next : HOME;
}

document.getElementById("signin").onsubmit = async (event) => {
  event.preventDefault();
  const error = document.getElementById("error");
  const button = document.getElementById("submit");
  error.textContent = "";
  button.disabled = true;
  try {
    const response = await fetch("/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({
        username: document.getElementById("username").value,
        password: document.getElementById("password").value,
      }),
    });
    if (response.ok) {
      const me = await response.json();
      // a Secure cookie is dropped by the browser on plain http other than localhost / 127.0.0.1
      if ((await fetch("/auth/me", { credentials: "same-origin" })).status === 401) {
        error.textContent = TEXT[lang].cookieRefused;
        return;
      }
      sessionStorage.removeItem("ivr-token");
      if (me.language && TEXT[me.language]) localStorage.setItem("ivr-ui-lang", me.language);
      location.replace(destination());
      return;
    }
    if (response.status === 429) {
      const minutes = Math.ceil(Number(response.headers.get("Retry-After") || 60) / 60);
      error.textContent = TEXT[lang].tooManyAttempts.replace("{minutes}", minutes);
    } else if (response.status === 401) {
      error.textContent = TEXT[lang].wrongPassword;
    } else {
      error.textContent = `${response.status} ${response.statusText}`;
    }
  } catch (failure) {
    error.textContent = failure.message;
  } finally {
    button.disabled = false;
  }
  document.getElementById("password").select();
};
document.getElementById("username").focus();
