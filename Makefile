# Two commands matter: `make run` (the whole system on embedded defaults) and `make test` (every tier).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
VAR := $(CURDIR)/var

.PHONY: install run test test-unit test-db test-asterisk test-browser lint bench asterisk system-deps prompts clean install-system

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tiers need (SIPp, debootstrap, espeak-ng, sox, Chromium). Idempotent; needs root.
system-deps:
	bash scripts/system-deps.sh

# `make run EDGE=1`: Kamailio in front of two Asterisk boxes (issue 20) instead of the single sandbox.
run: install system-deps
	EDGE=$(EDGE) bash scripts/run.sh

test: install system-deps
	$(VENV)/bin/ivr prompts check
	$(PY) -m pytest -q -p no:cacheprovider tests/unit --cov=ivr --cov=callcenter --cov=promptgen --cov=sandbox --cov-report=term --cov-fail-under=90
	$(PY) -m pytest -q -p no:cacheprovider tests/db tests/asterisk tests/browser

test-unit: install
	$(PY) -m pytest -q tests/unit

test-db: install
	$(PY) -m pytest -q -p no:cacheprovider tests/db

test-asterisk: install system-deps
	$(PY) -m pytest -q -p no:cacheprovider tests/asterisk

# Provision (first time: debootstrap, ~1 min) and start the sandbox Asterisk 22; `ivr asterisk stop` stops it.
asterisk: install system-deps
	$(VENV)/bin/ivr asterisk start

lint: install
	$(VENV)/bin/ruff check callcenter ivr api promptgen sandbox ivr_cli.py agi_scripts/* tests benchmarks
	$(VENV)/bin/mypy --scripts-are-modules callcenter ivr api promptgen sandbox ivr_cli.py agi_scripts/* tests benchmarks
	$(VENV)/bin/asterisklint dialplan-check --asterisk-version 22 asterisk_conf/extensions.conf

# Voice prompts into OUT/<lang>/ivr/ (default var/sounds; the sandbox's sounds dir to install there); OFFLINE=1
# skips gTTS. Incremental: only changed texts and recordings are rebuilt.
prompts: install system-deps
	$(VENV)/bin/ivr prompts build --out $(or $(OUT),var/sounds) $(if $(OFFLINE),--offline)

bench: install system-deps
	$(PY) -m benchmarks

# Production on a Debian host (issue 21): systemd units, /etc/callcenter-ivr, Asterisk configuration, prompts,
# the app in PREFIX/venv. DESTDIR=DIR stages it all under DIR (packaging, tests). docs/runbook.md says what next.
install-system:
	DESTDIR="$(DESTDIR)" PREFIX="$(or $(PREFIX),/opt/callcenter-ivr)" SOUNDS="$(or $(SOUNDS),var/sounds)" \
		bash scripts/install-system.sh

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
