// The live-state WebSocket: the browser sends the session cookie with the handshake and the first message is `{}`
// (or a screen's bearer token, see session.js); reconnects with backoff. Closed with 4401 (signed out, session
// expired, token revoked): off to the sign-in page. 4403 (a role that may not watch): stays closed.
import { goToSignIn, liveHello } from "./session.js";

export function connectLive({ onHello, onState, onStatus }) {
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
