// Which wallboard cells are in alert, from the thresholds of the call-center file ([supervision], served by
// GET /supervision/board). Pure functions of a snapshot's figures and the seconds elapsed since it was received,
// so a wait that grows with no event still turns red on time.

export function rate(part, whole) {
  return whole > 0 ? part / whole : null;
}

// {service, longest, abandon}: true where that figure is past its limit. `figures` is a queue or the totals.
export function figureAlerts(figures, limits, elapsed = 0) {
  const level = figures.service_level_today;
  const finished = figures.answered_today + figures.abandoned_today;
  const abandonRate = rate(figures.abandoned_today, finished);
  const waiting = Array.isArray(figures.waiting) ? figures.waiting_count ?? figures.waiting.length : figures.waiting;
  return {
    service: level !== null && level !== undefined && level * 100 < limits.service_level_target_percent,
    longest: waiting > 0 && figures.longest_wait_s + elapsed > limits.longest_wait_limit_s,
    abandon: abandonRate !== null && abandonRate * 100 > limits.abandon_rate_limit_percent,
  };
}

// An agent paused for longer than the limit.
export function agentAlert(agent, limits, elapsed = 0) {
  return agent.state === "paused" && agent.in_state_s !== null && agent.in_state_s + elapsed > limits.paused_limit_s;
}

// "0:45", "12:05", "1:02:03"
export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

export function percent(share) {
  return share === null || share === undefined ? "–" : `${Math.round(share * 100)}%`;
}
