#!/usr/bin/env bash
# `make run`: the whole system on embedded defaults, in the foreground; Ctrl-C stops everything.
#   API + embedded PostgreSQL on :8000, FastAGI flows on :4573, and the sandbox Asterisk 22 (SIP :5060, AMI :5038)
#   when this machine can run it (root, debootstrap). Demo mode: known demo tokens and demo staff accounts
#   (agents agent1001-agent1003 on those seats, a supervisor, an admin) with new random passwords, printed at
#   start with the sign-in address; never use IVR_DEMO=1 in production (see README, "Production").
#   EDGE=1 (`make run EDGE=1`): the two-box layout instead: Kamailio on :5060 in front of box A (SIP 5061, AMI
#   5038, the active one) and box B (SIP 5062, AMI 5039, the standby); the API's AMI link follows the serving box.
set -euo pipefail
cd "$(dirname "$0")/.."
EDGE="${EDGE:-${IVR_EDGE:-0}}"
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
  if [ "${ASTERISK_STARTED:-0}" = 1 ]; then
    if [ "$EDGE" = 1 ]; then $PY -m ivr edge stop || true; else $PY -m ivr asterisk stop || true; fi
  fi
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
  # EDGE=1: browser seats register to Kamailio's WSS, and the API asks Kamailio which box serves (issue 20)
  if [ "$EDGE" = 1 ]; then eval "$($PY -m ivr edge env)"; fi
fi
# The API's AMI link (live wallboard, agent actions, callbacks) to the sandbox: its demo-only secret
# (asterisk_conf/manager_secrets.sandbox.conf). The link retries until Asterisk is up.
if [ "$(id -u)" = 0 ]; then export IVR_AMI_SECRET="${IVR_AMI_SECRET:-demo-only-ami-secret}"; fi
if [ "$EDGE" = 1 ]; then export IVR_AMI_STANDBYS="${IVR_AMI_STANDBYS:-127.0.0.1:5039}"; fi
$PY -m ivr api > >(tee -a var/log/api.log) 2>&1 &
pids+=($!)
if [ "$IVR_DEMO" = 1 ]; then export IVR_API_TOKEN="${IVR_API_TOKEN:-ivr-demo-agi-token}"; fi
export IVR_METRICS_PORT="${IVR_METRICS_PORT:-9573}"  # the agi process's Prometheus endpoint (loopback)
$PY -m ivr agi "$@" > >(tee -a var/log/agi.log) 2>&1 &
pids+=($!)
# The e-mail intake (issue 17 B): an SMTP server on loopback turning mail to IVR_MAIL_ADDRESS into requests.
export IVR_MAIL_LISTEN_PORT="${IVR_MAIL_LISTEN_PORT:-2525}"
export IVR_MAIL_ADDRESS="${IVR_MAIL_ADDRESS:-requests@localhost}"
$PY -m ivr mail serve > >(tee -a var/log/mail.log) 2>&1 &
pids+=($!)

ASTERISK_STARTED=0
if [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null; then
  if [ "$EDGE" = 1 ]; then start_asterisk=(edge start); else start_asterisk=(asterisk start); fi
  if $PY -m ivr "${start_asterisk[@]}"; then
    ASTERISK_STARTED=1
    if [ "$EDGE" = 1 ]; then
      IVR_ASTERISK_ROOT="$PWD/var/asterisk/root-b" $PY -m ivr prompts build --sandbox >/dev/null 2>&1 ||
        echo "warning: some prompts could not be built for box B" >&2
      echo "SIP edge: Kamailio on 127.0.0.1:5060 -> box A (active) and box B (standby); \`ivr edge status\` shows them."
    fi
    # The voice prompts, into the sandbox's sounds folder (incremental: only changed texts are rebuilt).
    $PY -m ivr prompts build --sandbox || echo "warning: some prompts could not be built (ivr prompts check)" >&2
    echo "Asterisk 22 sandbox running. Place a demo call:  .venv/bin/ivr call --caller +33612345678 --keys 3,1"
    wss_https="https://127.0.0.1:8089/ws"
    if [ "$EDGE" = 1 ]; then wss_https="https://127.0.0.1:8443/ws"; fi
    echo "Browser softphone: in Chromium, open $wss_https once and accept the sandbox's certificate;"
    echo "  then /ui/agent.html registers the agent's seat (log into a queue there to take demo calls)."
  else
    echo "warning: the sandbox Asterisk did not start; the API and the FastAGI server run without it" >&2
  fi
else
  echo "note: not root or no debootstrap: running without the sandbox Asterisk (point your own Asterisk at :4573)"
fi
echo "Sign in: http://127.0.0.1:8000/ui/signin.html (demo passwords above)   API: http://127.0.0.1:8000/docs"
echo "FastAGI: agi://127.0.0.1:4573/inbound   Ctrl-C to stop"
echo "Citizens' portal: http://127.0.0.1:8000/ui/portal.html   staff chat: /ui/chat.html"
echo "E-mail intake: smtp://127.0.0.1:$IVR_MAIL_LISTEN_PORT for <$IVR_MAIL_ADDRESS> (try: swaks --server 127.0.0.1:$IVR_MAIL_LISTEN_PORT --to $IVR_MAIL_ADDRESS)"
echo "Health: http://127.0.0.1:8000/health   Metrics: /metrics (supervisor token), agi: http://127.0.0.1:$IVR_METRICS_PORT/metrics"
wait -n "${pids[@]}"
