// Staff accounts (admins): list, create (the API generates the password, shown here once), reset a password,
// disable or enable. Every change goes through session.js (session cookie + CSRF token).
import { TEXT, applyLanguage, chooseLanguage } from "./i18n.js";
import { api, requireSignIn, signOut } from "./session.js";

const $ = (id) => document.getElementById(id);
let lang = chooseLanguage();
let users = [];
$("lang").value = lang;
$("lang").onchange = () => { lang = $("lang").value; applyLanguage(lang); fillRoles(); render(); };

function fillRoles() {
  const chosen = $("new-role").value || "agent";
  $("new-role").replaceChildren(...Object.entries(TEXT[lang].roles).map(([key, label]) => new Option(label, key)));
  $("new-role").value = chosen;
}

function showPassword(username, password) {
  $("issued-for").textContent = TEXT[lang].newPasswordFor.replace("{user}", username);
  $("issued").textContent = password;
  $("password-card").classList.remove("hidden");
}

async function act(work) {
  $("error").textContent = "";
  try { await work(); } catch (failure) { $("error").textContent = failure.message; }
  await load();
}

function button(label, onclick, secondary) {
  const node = document.createElement("button");
  node.type = "button";
  node.textContent = label;
  if (secondary) node.className = "secondary";
  node.onclick = onclick;
  return node;
}

function render() {
  $("users").tBodies[0].replaceChildren(...users.map((user) => {
    const row = document.createElement("tr");
    row.dataset.username = user.username;
    row.dataset.disabled = String(user.disabled);
    for (const text of [user.username, user.display_name, TEXT[lang].roles[user.role] || user.role, user.seat || "–",
      user.language, user.disabled ? TEXT[lang].accountDisabled : TEXT[lang].accountActive]) {
      const cell = document.createElement("td");
      cell.textContent = text;
      row.append(cell);
    }
    const actions = document.createElement("td");
    actions.className = "actions";
    actions.append(
      button(TEXT[lang].resetPassword, () => act(async () => {
        const issued = await api("POST", `/users/${user.username}/password`, {});
        showPassword(user.username, issued.password);
      })),
      user.disabled
        ? button(TEXT[lang].enable, () => act(() => api("POST", `/users/${user.username}/enable`)), true)
        : button(TEXT[lang].disable, () => act(() => api("POST", `/users/${user.username}/disable`)), true),
    );
    row.append(actions);
    return row;
  }));
}

async function load() {
  users = await api("GET", "/users");
  render();
}

$("create").onsubmit = (event) => {
  event.preventDefault();
  act(async () => {
    const created = await api("POST", "/users", {
      username: $("new-username").value.trim().toLowerCase(),
      display_name: $("new-name").value.trim(),
      role: $("new-role").value,
      seat: $("new-seat").value.trim() || null,
      language: $("new-language").value,
    });
    showPassword(created.user.username, created.password);
    $("create").reset();
  });
};
$("signout").onclick = () => signOut();

fillRoles();
const me = await requireSignIn();
$("who").textContent = `${me.display_name} (${TEXT[lang].roles[me.role] || me.role})`;
if (me.role !== "admin") {
  $("error").textContent = `403 ${TEXT[lang].roles[me.role] || me.role}`;
  $("create").classList.add("hidden");
} else {
  await load();
}
