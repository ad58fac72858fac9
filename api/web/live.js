// The live-state WebSocket: authenticates with the token as first message, reconnects with backoff.
// The token comes from the URL fragment (#token=..., never sent to the server) or the sign-in form, and is kept in
// sessionStorage for this tab only.
export function takeToken() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token")) {
    sessionStorage.setItem("ivr-token", fragment.get("token"));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("ivr-token");
}

export function connectLive(token, { onHello, onState, onStatus }) {
  let delay = 500;
  function open() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/live/ws`);
    socket.onopen = () => socket.send(JSON.stringify({ token }));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.hello) { delay = 500; onStatus(true); onHello(data.hello); } else { onState(data); }
    };
    socket.onclose = (closed) => {
      onStatus(false, closed.code);
      if (closed.code === 4401 || closed.code === 4403) return; // a bad token does not get better by retrying
      setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    };
  }
  open();
}

export async function api(token, method, path, body) {
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return response.json();
}
