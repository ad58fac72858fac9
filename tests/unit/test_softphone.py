"""The seats' passwords as the API reads them from pjsip_secrets.conf, and the seats' SIP domain."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.softphone import SoftphoneUnavailableError, parse_seat_passwords, seat_password, sip_domain

CONF = Path(__file__).resolve().parents[2] / "asterisk_conf"


def test_passwords_come_from_the_auth_sections_only() -> None:
    text = "[agent1001-auth](+)\npassword = a b ; comment\n[agent1001](+)\npassword = no\n[x-auth]\npassword =\n"
    assert parse_seat_passwords(text) == {"agent1001": "a b"}


def test_the_sandbox_secrets_give_every_seat_its_demo_password() -> None:
    passwords = parse_seat_passwords((CONF / "pjsip_secrets.sandbox.conf").read_text())
    assert passwords == {f"agent{n}": f"demo-only-agent{n}" for n in range(1001, 1041)}


def test_a_missing_file_or_seat_says_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(SoftphoneUnavailableError, match="IVR_SEAT_SECRETS"):
        seat_password(None, "agent1001")
    with pytest.raises(SoftphoneUnavailableError, match="cannot be read"):
        seat_password(tmp_path / "absent", "agent1001")
    (tmp_path / "secrets.conf").write_text("[agent1002-auth](+)\npassword = x\n")
    with pytest.raises(SoftphoneUnavailableError, match="agent1001"):
        seat_password(tmp_path / "secrets.conf", "agent1001")
    assert seat_password(tmp_path / "secrets.conf", "agent1002") == "x"


def test_the_sip_domain_is_the_configured_one_or_the_wss_host() -> None:
    assert sip_domain("wss://pbx.example.org:8089/ws", None) == "pbx.example.org"
    assert sip_domain("wss://[2001:db8::1]:8089/ws", None) == "[2001:db8::1]"
    assert sip_domain("wss://10.0.0.1:8089/ws", "callcenter.example.org") == "callcenter.example.org"
