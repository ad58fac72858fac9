"""`make install-system` (issue 21) staged into a temporary DESTDIR: the units, the service user, the
configuration (never overwritten), the Asterisk files (replaced ones kept), the prompts; and the units pass
`systemd-analyze verify` (required in CI: scripts/system-deps.sh installs systemd)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
UNITS = ("ivr-agi.service", "ivr-agi@.service", "ivr-api.service")
HARDENING = (
    "User=callcenter-ivr",
    "Restart=on-failure",
    "EnvironmentFile=/etc/callcenter-ivr/env",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "CapabilityBoundingSet=\n",
    "ReadWritePaths=/var/lib/callcenter-ivr",
    "StandardOutput=journal",
)


def install(stage: Path, sounds: Path) -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "install-system", f"DESTDIR={stage}", f"SOUNDS={sounds}"],
        cwd=PROJECT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("stage")
    sounds = tmp_path_factory.mktemp("sounds")
    (sounds / "fr" / "ivr").mkdir(parents=True)
    (sounds / "fr" / "ivr" / "greeting.wav").write_bytes(b"RIFF")
    install(root, sounds)
    (root / "etc/callcenter-ivr/env").write_text("IVR_API_TOKEN=the-admin-s-own\n")
    (root / "etc/asterisk/queues.conf").write_text("; edited on the host\n")
    install(root, sounds)  # a second run (an upgrade) keeps the administrator's files
    return root


def test_everything_is_laid_down_under_destdir(stage: Path) -> None:
    for unit in UNITS:
        assert (stage / "etc/systemd/system" / unit).is_file()
    assert (stage / "usr/lib/sysusers.d/callcenter-ivr.conf").read_text().count("u callcenter-ivr") == 1
    assert (stage / "usr/share/asterisk/sounds/fr/ivr/greeting.wav").read_bytes() == b"RIFF"
    assert (stage / "opt/callcenter-ivr/venv/bin/python").exists()
    assert (stage / "opt/callcenter-ivr/docs/runbook.md").is_file()
    assert os.access(stage / "usr/local/sbin/ivr-admin", os.X_OK)
    installed = {path.name for path in (stage / "etc/asterisk").glob("*.conf")}
    assert "extensions.conf" in installed and not any("sandbox" in name for name in installed)
    assert oct((stage / "etc/callcenter-ivr/env").stat().st_mode & 0o777) == "0o640"


def test_a_second_install_keeps_the_administrator_s_files(stage: Path) -> None:
    assert (stage / "etc/callcenter-ivr/env").read_text() == "IVR_API_TOKEN=the-admin-s-own\n"
    assert (stage / "etc/asterisk/queues.conf.~1~").read_text() == "; edited on the host\n"
    assert (stage / "etc/asterisk/queues.conf").read_text() == (PROJECT / "asterisk_conf/queues.conf").read_text()


@pytest.mark.parametrize("unit", UNITS)
def test_units_run_unprivileged_hardened_and_restart_on_failure(stage: Path, unit: str) -> None:
    text = (stage / "etc/systemd/system" / unit).read_text()
    assert [option for option in HARDENING if option not in text] == []


def test_units_verify(stage: Path, tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing (scripts/system-deps.sh installs systemd)")
        pytest.skip("systemd-analyze is missing: run scripts/system-deps.sh")
    checked = []
    for unit in UNITS:
        # ExecStart must exist: point it at the staged venv instead of /opt on this machine
        text = (
            (stage / "etc/systemd/system" / unit)
            .read_text()
            .replace("/opt/callcenter-ivr", f"{stage}/opt/callcenter-ivr")
        )
        name = unit.replace("@.", "@4573.")
        (tmp_path / name).write_text(text)
        checked.append(str(tmp_path / name))
    verified = subprocess.run(["systemd-analyze", "verify", *checked], capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0 and verified.stdout + verified.stderr == "", verified.stdout + verified.stderr
