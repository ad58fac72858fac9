// The live-state WebSocket, and requests as the signed-in person (both through session.js).
// The socket: the browser sends the session cookie with the handshake and the first message is `{}` (or a screen's
// bearer token); reconnects with backoff. Closed with 4401 (signed out, session expired, token revoked): off to the
// sign-in page. 4403 (a role that may not watch): stays closed.
// `token` parameters: a screen's bearer token (#token=..., see session.js) or null for a signed-in person; they are
// kept so the pages' modules call api(token, ...) as before; session.js knows which one applies.
import { api as sessionApi, goToSignIn, liveHello, screenToken } from "./session.js";

export function takeToken() {
  return screenToken();
}

export function connectLive(token, { onHello, onState, onStatus }) {
  let delay = 500;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/live/ws`);
    socket.onopen = () => socket.send(JSON.stringify(liveHello()));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.hello) { delay = 500; onStatus(true); onHello(data.hello); } else { onState(data); }
    };
    socket.onclose = (closed) => {
      onStatus(false, closed.code);
      if (closed.code === 4401) { goToSignIn(); return; }
      if (closed.code === 4403) return; // a role that may not watch does not get better by retrying
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  open();
}

export async function api(token, method, path, body) {
  return sessionApi(method, path, body);
}
