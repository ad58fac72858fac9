// A request's "Notifications to the citizen" list, shared by the request desk (requests.js) and the complaint
// screens (complaints.js): what was sent (the acknowledgement or the status told), on which channel, when queued,
// and where it stands (sent / waiting for its next try / given up, the last error in plain words). The recipient
// and the raw error come only to roles that see the citizen's contact (the API leaves them out otherwise). A
// given-up notification the API marks `can_retry` gets a button that asks for it again; the page then reloads.
import { shortTime } from "./desk.js";

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));

function line(className, text) {
  const span = document.createElement("span");
  span.className = className;
  span.textContent = text;
  return span;
}

function stateOf(item, notices, lang) {
  const reason = notices.reasons[item.reason] || notices.reasons.other;
  if (item.outcome === "sent") return fill(notices.sent, { at: shortTime(item.sent_at, lang) });
  if (item.outcome === "given_up") return fill(notices.gaveUp, { n: item.attempts, reason });
  const due = !item.next_try_at || new Date(item.next_try_at) <= new Date();
  const waiting = due ? fill(notices.dueNow, { n: item.attempts + 1 })
    : fill(notices.waiting, { at: shortTime(item.next_try_at, lang), n: item.attempts + 1 });
  return item.outcome === "failed" && item.reason ? `${waiting} · ${fill(notices.lastFailed, { reason })}` : waiting;
}

// `list`: the <ul>; `notices`: the page's texts in its language; `retry(id)`: resolves once the API answered.
export function showNotifications(list, notifications, { notices, lang, empty, retry }) {
  empty.classList.toggle("hidden", notifications.length > 0);
  list.replaceChildren(...notifications.map((item) => {
    const row = document.createElement("li");
    row.className = "notice";
    row.dataset.id = String(item.id);
    row.dataset.outcome = item.outcome;
    const label = notices.kinds[item.kind] || item.kind.replaceAll("_", " ");
    const what = item.kind === "received" ? notices.received : fill(notices.status, { label });
    const head = line("notice-what", `${what} · ${notices.channels[item.channel] || item.channel} · ${fill(notices.queued, { at: shortTime(item.at, lang) })}`);
    row.append(head);
    if (item.recipient) {
      const to = document.createElement("bdi");
      to.dir = "ltr";
      to.className = "number notice-to";
      to.textContent = item.recipient;
      row.append(to);
    }
    row.append(line(`notice-state ${item.outcome}`, stateOf(item, notices, lang)));
    if (item.requeued_at) row.append(line("notice-note", fill(notices.requeued, { who: item.requeued_by, at: shortTime(item.requeued_at, lang) })));
    if (item.error && item.outcome !== "sent") row.append(line("notice-note notice-error", item.error));
    if (item.can_retry) {
      const again = document.createElement("button");
      again.type = "button";
      again.className = "secondary notice-retry";
      again.textContent = notices.retry;
      again.onclick = async () => { again.disabled = true; try { await retry(item.id); } finally { again.disabled = false; } };
      row.append(again);
    }
    return row;
  }));
}
