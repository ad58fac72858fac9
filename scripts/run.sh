#!/usr/bin/env bash
# `make run`: the whole system on embedded defaults, in the foreground; Ctrl-C stops everything.
#   API + embedded PostgreSQL on :8000, FastAGI flows on :4573, and the sandbox Asterisk 22 (SIP :5060, AMI :5038)
#   when this machine can run it (root, debootstrap). Demo mode: known demo tokens and demo staff accounts
#   (agents agent1001-agent1003 on those seats, a supervisor, an admin) with new random passwords, printed at
#   start with the sign-in address; never use IVR_DEMO=1 in production (see README, "Production").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export IVR_DEMO="${IVR_DEMO:-1}"
mkdir -p var/log
# The sample consular guide (issue 16; demonstration texts, not official): idempotent, unchanged files change nothing.
if [ "$IVR_DEMO" = 1 ]; then
  $PY -m ivr guide import examples/guide || echo "warning: the sample guide was not imported (ivr guide import)" >&2
fi
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping..."
  if [ "${ASTERISK_STARTED:-0}" = 1 ]; then $PY -m ivr asterisk stop || true; fi
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# With the sandbox Asterisk, messages are recorded in its spool (a path valid inside and outside the chroot), and
# the API hands browser softphones its WSS address and the seats' demo passwords (the CSP admits that WSS origin).
# A voicemail folder set by hand is kept.
if [ "$(id -u)" = 0 ]; then
  voicemail_dir="${IVR_VOICEMAIL_DIR:-}"
  eval "$($PY -m ivr asterisk env)"
  if [ -n "$voicemail_dir" ]; then export IVR_VOICEMAIL_DIR="$voicemail_dir"; fi
fi
# The API's AMI link (live wallboard, agent actions, callbacks) to the sandbox: its demo-only secret
# (asterisk_conf/manager_secrets.sandbox.conf). The link retries until Asterisk is up.
if [ "$(id -u)" = 0 ]; then export IVR_AMI_SECRET="${IVR_AMI_SECRET:-demo-only-ami-secret}"; fi
$PY -m ivr api > >(tee -a var/log/api.log) 2>&1 &
pids+=($!)
if [ "$IVR_DEMO" = 1 ]; then export IVR_API_TOKEN="${IVR_API_TOKEN:-ivr-demo-agi-token}"; fi
export IVR_METRICS_PORT="${IVR_METRICS_PORT:-9573}"  # the agi process's Prometheus endpoint (loopback)
$PY -m ivr agi "$@" > >(tee -a var/log/agi.log) 2>&1 &
pids+=($!)

ASTERISK_STARTED=0
if [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null; then
  if $PY -m ivr asterisk start; then
    ASTERISK_STARTED=1
    # The voice prompts, into the sandbox's sounds folder (incremental: only changed texts are rebuilt).
    $PY -m ivr prompts build --sandbox || echo "warning: some prompts could not be built (ivr prompts check)" >&2
    echo "Asterisk 22 sandbox running. Place a demo call:  .venv/bin/ivr call --caller +33612345678 --keys 3,1"
    echo "Browser softphone: in Chromium, open https://127.0.0.1:8089/ws once and accept the sandbox's certificate;"
    echo "  then /ui/agent.html registers the agent's seat (log into a queue there to take demo calls)."
  else
    echo "warning: the sandbox Asterisk did not start; the API and the FastAGI server run without it" >&2
  fi
else
  echo "note: not root or no debootstrap: running without the sandbox Asterisk (point your own Asterisk at :4573)"
fi
echo "Sign in: http://127.0.0.1:8000/ui/signin.html (demo passwords above)   API: http://127.0.0.1:8000/docs"
echo "FastAGI: agi://127.0.0.1:4573/inbound   Ctrl-C to stop"
echo "Health: http://127.0.0.1:8000/health   Metrics: /metrics (supervisor token), agi: http://127.0.0.1:$IVR_METRICS_PORT/metrics"
wait -n "${pids[@]}"
