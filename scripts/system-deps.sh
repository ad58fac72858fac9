#!/usr/bin/env bash
# Install the Debian packages the test tiers and the demo need. Idempotent and quick when all are present.
set -euo pipefail
need=()
command -v sipp >/dev/null || need+=(sip-tester)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v sox >/dev/null || need+=(sox)
# sox reads mp3 (gTTS output, recorded prompts) only with this plugin.
{ command -v sox >/dev/null && sox -h 2>/dev/null | grep -qw mp3; } || need+=(libsox-fmt-mp3)
command -v zstd >/dev/null || need+=(zstd)
command -v chromium >/dev/null || need+=(chromium)
# the sandbox's self-signed certificate for browser softphones (WSS)
command -v openssl >/dev/null || need+=(openssl)
# issue 21: `systemd-analyze verify` checks the units of deploy/systemd/ (tests/unit/test_install_system.py)
command -v systemd-analyze >/dev/null || need+=(systemd)
# the SIP edge (issue 20): Kamailio with its dispatcher and registrar, on the host (Debian 12 packages it)
command -v kamailio >/dev/null || need+=(kamailio)
# ... and its WebSocket + TLS modules: browser seats register to the edge over WSS (issue 20)
dpkg -s kamailio-websocket-modules >/dev/null 2>&1 || need+=(kamailio-websocket-modules)
dpkg -s kamailio-tls-modules >/dev/null 2>&1 || need+=(kamailio-tls-modules)
# optional: the real-Asterisk benchmark samples Asterisk with `perf record` when it is there (benchmarks/asterisk_load.py)
command -v perf >/dev/null || need+=(linux-perf)
# the report PDF's font (api/report_pdf.py), and pdftoppm to render it in the browser tier's test
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; run as root or install them: apt-get install -y ${need[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
