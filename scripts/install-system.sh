#!/usr/bin/env bash
# `make install-system`: lay the production system down on a Debian host (docs/runbook.md, "Install").
#   systemd units and the service user (deploy/systemd/), /etc/callcenter-ivr (env + callcenter.toml, never
#   overwritten), the Asterisk configuration (asterisk_conf/ minus *.sandbox.conf; files it replaces are kept as
#   NAME.~N~), the voice prompts (SOUNDS, built with `make prompts` when missing) and the runbook.
# DESTDIR stages everything under a directory (packaging, tests): nothing outside it is touched, no user is
# created, no service reloaded, and the venv gets no packages (it is created so the units' ExecStart exists).
set -euo pipefail
cd "$(dirname "$0")/.."
DESTDIR="${DESTDIR:-}"
PREFIX="${PREFIX:-/opt/callcenter-ivr}"
UNITDIR="${UNITDIR:-/etc/systemd/system}"
SOUNDS="${SOUNDS:-var/sounds}"
PYTHON="${PYTHON:-python3}"
root="$DESTDIR"

install -d -m 0755 "$root$UNITDIR" "$root/usr/lib/sysusers.d" "$root$PREFIX/docs" "$root/etc/asterisk" \
  "$root/usr/share/asterisk/sounds"
install -m 0644 deploy/systemd/ivr-agi.service deploy/systemd/ivr-agi@.service deploy/systemd/ivr-api.service \
  "$root$UNITDIR/"
install -m 0644 deploy/systemd/callcenter-ivr.sysusers "$root/usr/lib/sysusers.d/callcenter-ivr.conf"
install -m 0644 docs/runbook.md "$root$PREFIX/docs/runbook.md"
install -d -m 0755 "$root/usr/local/sbin"
install -m 0755 deploy/systemd/ivr-admin "$root/usr/local/sbin/ivr-admin"

# configuration: the administrator's copies are never overwritten
install -d -m 0750 "$root/etc/callcenter-ivr"
[ -e "$root/etc/callcenter-ivr/env" ] || install -m 0640 deploy/systemd/env.example "$root/etc/callcenter-ivr/env"
[ -e "$root/etc/callcenter-ivr/callcenter.toml" ] || \
  install -m 0644 callcenter/callcenter.toml "$root/etc/callcenter-ivr/callcenter.toml"

# Asterisk: every *.conf but the sandbox's demo secrets; a replaced file is kept beside it (NAME.~1~)
for conf in asterisk_conf/*.conf; do
  case "$conf" in *.sandbox.conf) continue ;; esac
  install -m 0644 --backup=numbered "$conf" "$root/etc/asterisk/"
done

# prompts: OUT/<lang>/ivr/*.wav as `ivr prompts build` writes them
if [ ! -d "$SOUNDS" ]; then
  make prompts OUT="$SOUNDS" OFFLINE=1
fi
cp -r "$SOUNDS"/. "$root/usr/share/asterisk/sounds/"

# the application: a venv under PREFIX with this checkout installed in it (not when staging)
[ -x "$root$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv --without-pip "$root$PREFIX/venv"
if [ -z "$DESTDIR" ]; then
  "$PREFIX/venv/bin/python" -m ensurepip --upgrade >/dev/null
  "$PREFIX/venv/bin/python" -m pip install -q --upgrade "$PWD"
  systemd-sysusers callcenter-ivr.conf 2>/dev/null || systemd-sysusers
  chgrp callcenter-ivr /etc/callcenter-ivr /etc/callcenter-ivr/env
  getent group asterisk >/dev/null && chgrp asterisk /etc/asterisk/*.conf || true
  systemctl daemon-reload
  echo "installed: edit /etc/callcenter-ivr/env, then: systemctl enable --now ivr-api ivr-agi (docs/runbook.md)"
fi
