"""The client's address behind trusted proxies only (api.net), and the security headers' policy
(api.security.headers): pure functions, every rule of their module docstrings."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError

from api.config import ApiSettings
from api.net import client_address, limit_key, parse_address
from api.security.headers import content_security_policy

PROXIES = [ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("fd00::/64")]


def test_without_trusted_proxies_the_peer_is_the_client_whatever_it_forwards() -> None:
    assert client_address("127.0.0.1", ["203.0.113.9"], []) == "127.0.0.1"
    assert client_address("198.51.100.7", ["203.0.113.9"], PROXIES) == "198.51.100.7"  # peer not a proxy


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() -> None:
    # the client wrote "1.1.1.1, 2.2.2.2"; the proxy appended the address it saw
    assert client_address("10.0.0.5", ["1.1.1.1, 2.2.2.2, 203.0.113.9"], PROXIES) == "203.0.113.9"
    # two proxies in a row, and the header split over two lines
    assert client_address("10.0.0.5", ["9.9.9.9, 203.0.113.9", "10.0.0.7"], PROXIES) == "203.0.113.9"
    # every hop a proxy: the leftmost; no header: the peer
    assert client_address("10.0.0.5", ["10.0.0.8, 10.0.0.7"], PROXIES) == "10.0.0.8"
    assert client_address("10.0.0.5", [], PROXIES) == "10.0.0.5"


def test_a_rotating_client_written_part_does_not_change_the_client() -> None:
    seen = {client_address("10.0.0.5", [f"198.18.0.{n}, 203.0.113.9"], PROXIES) for n in range(20)}
    assert seen == {"203.0.113.9"}


def test_forwarded_entries_in_their_usual_spellings() -> None:
    assert client_address("10.0.0.5", ["203.0.113.9:4711"], PROXIES) == "203.0.113.9"
    assert client_address("fd00::1", ["[2001:db8::1]:443"], PROXIES) == "2001:db8::1"
    assert client_address("::ffff:10.0.0.5", ["203.0.113.9"], PROXIES) == "203.0.113.9"  # dual-stack socket
    assert client_address("10.0.0.5", ["unknown"], PROXIES) == "unknown"  # a proxy's odd entry, kept short
    assert parse_address("not an address") is None


@pytest.mark.parametrize(
    ("address", "key"),
    [("203.0.113.9", "203.0.113.9"), ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"), ("junk", "junk")],
)
def test_a_rate_limit_counts_an_ipv6_subscriber_by_its_64(address: str, key: str) -> None:
    assert limit_key(address) == key


def test_the_policy_allows_this_origin_its_websocket_and_the_configured_sources_only() -> None:
    directives = content_security_policy("pbx.test:8000", ["wss://asterisk.test:8089"]).split("; ")
    policy = dict(directive.split(" ", 1) for directive in directives)
    assert policy["default-src"] == "'none'" and policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["connect-src"] == "'self' ws://pbx.test:8000 wss://pbx.test:8000 wss://asterisk.test:8089"
    assert policy["frame-ancestors"] == "'none'"


def test_an_odd_host_header_never_reaches_the_policy() -> None:
    policy = content_security_policy("evil.test; script-src *")
    assert "evil" not in policy and "connect-src 'self'" in policy


def test_settings_take_comma_separated_lists_and_refuse_a_source_that_would_break_the_policy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IVR_API_TRUSTED_PROXIES", "10.0.0.5, 192.168.0.0/16")
    monkeypatch.setenv("IVR_API_CSP_CONNECT_SRC", "wss://pbx.example.org:8089")
    settings = ApiSettings()
    assert settings.trusted_proxies == [ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("192.168.0.0/16")]
    assert settings.csp_connect_src == ["wss://pbx.example.org:8089"]
    monkeypatch.delenv("IVR_API_TRUSTED_PROXIES")
    assert ApiSettings().trusted_proxies == []  # none by default
    monkeypatch.setenv("IVR_API_CSP_CONNECT_SRC", "wss://pbx.example.org:8089; script-src *")
    with pytest.raises(ValidationError):
        ApiSettings()
