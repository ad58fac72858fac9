// Who is signed in, and requests made as them. Every page imports this module.
// - A person signs in on signin.html: the API sets an HttpOnly session cookie (never visible here) and GET /auth/me
//   gives this page the session's CSRF token, sent back as X-CSRF-Token on every POST/PUT/PATCH/DELETE.
// - requireSignIn() is a page's first step: without a live session the browser goes to signin.html, which comes
//   back to this page after signing in. A 401 later (session ended, expired, signed out elsewhere) does the same.
// - A screen without a person (a wallboard TV) may still be opened with #token=<bearer token>: the token leaves the
//   address bar, is kept for this tab only, and requests carry it instead of the cookie.
const TOKEN_KEY = "ivr-token";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
let me = null;
let token = null;

// A screen's bearer token from the address (#token=...), kept for this tab; null for a signed-in person.
export function screenToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem(TOKEN_KEY, fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signInAddress(next = location.pathname + location.search) {
  return `/ui/signin.html?next=${encodeURIComponent(next)}`;
}

export function goToSignIn() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.replace(signInAddress());
}

// The signed-in person (or token): {username, display_name, role, seat, language, csrf_token}. Never resolves
// when the browser is being sent to the sign-in page.
export async function requireSignIn() {
  token = screenToken();
  const response = await request("GET", "/auth/me");
  me = await response.json();
  addHomeLink();
  return me;
}

// Every page links back to the start page (index.html, which lists what this role may open): a link at the
// head of the page's header, in the page's language.
const HOME_TEXT = { fr: "Accueil", ar: "الرئيسية", en: "Home" };
function addHomeLink() {
  const header = document.querySelector("header");
  if (!header || header.querySelector("a.home") || location.pathname === "/ui/index.html") return;
  const link = Object.assign(document.createElement("a"), { className: "home", href: "/ui/index.html" });
  link.textContent = `⌂ ${HOME_TEXT[document.documentElement.lang] || HOME_TEXT.en}`;
  link.dataset.t = "home";
  header.prepend(link);
}

export function currentUser() {
  return me;
}

// The first message of the live WebSocket: the token, or nothing (the browser sends the session cookie itself).
export function liveHello() {
  return token ? { token } : {};
}

// fetch as the signed-in person: the cookie, the CSRF header on unsafe methods, JSON in; the Response out.
// 401: off to the sign-in page. Another error: an Error with the problem's detail (RFC 9457 body).
export async function request(method, path, body) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (!SAFE.has(method) && me && me.csrf_token) headers["X-CSRF-Token"] = me.csrf_token;
  const response = await fetch(path, {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    goToSignIn();
    return new Promise(() => {});
  }
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* not a problem body */ }
    const error = new Error(`${response.status} ${detail}`);
    error.status = response.status;
    throw error;
  }
  return response;
}

export async function api(method, path, body) {
  const response = await request(method, path, body);
  return response.status === 204 ? null : response.json();
}

export async function signOut() {
  if (!token) await request("POST", "/auth/logout");
  goToSignIn();
}
