"""What staff see of a request's citizen notifications and who may send one again (api.channels.notify_desk):
the worker's errors in a word, the recipient kept from roles that do not see the contact, the owner's rights."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.channels.models import CitizenNotification
from api.channels.notify_desk import Rights, reason_of, rights, shown
from api.models import RequestRow
from api.security.access import RequestScope
from api.security.tokens import Principal, Role
from callcenter.loading import load_callcenter

ROOT = Path(__file__).resolve().parents[2]
COMPLAINTS = load_callcenter(ROOT / "examples" / "cityhall.toml").complaints
AT = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("error", "channel", "reason"),
    [
        ("", "email", ""),
        ("ConnectionRefusedError: [Errno 111] Connection refused", "email", "unreachable"),
        ("TimeoutError: timed out", "sms", "unreachable"),
        ("SMTPRecipientsRefused: {'x@example.org': (550, b'no such user')}", "email", "recipient_refused"),
        ("SMTPDataError: (554, b'spam')", "email", "server_refused"),
        ("SMTPAuthenticationError: (535, b'bad credentials')", "email", "login_refused"),
        ("SSLCertVerificationError: certificate verify failed", "email", "secure_connection"),
        ("RuntimeError: no outbound mail server is configured (IVR_SMTP_HOST)", "email", "not_configured"),
        ("LookupError: request 4 no longer exists", "sms", "request_gone"),
        ("HTTPStatusError: 402 Payment Required", "sms", "sms_gateway"),
        ("ValueError: something else", "email", "other"),
    ],
)
def test_the_workers_error_in_a_word(error: str, channel: str, reason: str) -> None:
    assert reason_of(error, channel=channel) == reason


def request(*, stage: str | None = None, department: str | None = None, language: str = "fr") -> RequestRow:
    return RequestRow(language=language, created_by="portal", stage=stage, department=department)


def test_who_reads_and_who_sends_again() -> None:
    french = RequestScope(languages=frozenset({"fr"}), creator="agent1001")
    plain, routed = request(), request(stage="assigned", department="proprete")
    agent, supervisor = Principal("agent1001", Role.AGENT, seat="agent1001"), Principal("chef", Role.SUPERVISOR)
    desk, tazi = Principal("accueil", Role.DESK), Principal("y.tazi", Role.OFFICER)
    idrissi, mayor = Principal("n.idrissi", Role.OFFICER), Principal("maire", Role.OFFICIAL)
    both, neither = Rights(reads=True, retries=True), Rights(reads=False, retries=False)
    assert rights(agent, request=plain, scope=french, complaints=COMPLAINTS) == both
    assert rights(agent, request=request(language="ar"), scope=french, complaints=COMPLAINTS) == neither
    assert rights(agent, request=routed, scope=french, complaints=COMPLAINTS) == Rights(reads=True, retries=False)
    assert rights(supervisor, request=routed, scope=None, complaints=COMPLAINTS) == both
    assert rights(desk, request=routed, scope=french, complaints=COMPLAINTS) == both
    assert rights(tazi, request=routed, scope=french, complaints=COMPLAINTS) == both  # cleanliness: hers
    assert rights(idrissi, request=routed, scope=french, complaints=COMPLAINTS) == neither  # hygiene
    assert rights(desk, request=plain, scope=french, complaints=COMPLAINTS) == neither  # not in the workflow
    assert rights(mayor, request=routed, scope=french, complaints=COMPLAINTS) == neither


def test_the_address_and_raw_error_only_to_who_sees_the_contact() -> None:
    row = CitizenNotification(id=7, request_id=1, channel="sms", recipient="+212600000001", language="fr",
                              kind="closed", body="...", outcome="given_up", error="OSError: unreachable", at=AT,
                              attempts=9, next_try_at=None, sent_at=None, message_id="ivr-1",
                              requeued_at=None, requeued_by="")  # fmt: skip
    for_desk = shown(row, principal=Principal("accueil", Role.DESK), may_retry=True)
    assert (for_desk.recipient, for_desk.error, for_desk.reason, for_desk.can_retry) == (
        "+212600000001", "OSError: unreachable", "unreachable", True)  # fmt: skip
    for_mayor = shown(row, principal=Principal("maire", Role.OFFICIAL), may_retry=False)
    assert (for_mayor.recipient, for_mayor.error, for_mayor.reason, for_mayor.can_retry) == (
        None, "", "unreachable", False)  # fmt: skip


def test_a_row_failed_before_retries_existed_counts_as_given_up() -> None:
    legacy = CitizenNotification(id=3, request_id=1, channel="email", recipient="a@example.org", language="fr",
                                 kind="received", body="...", outcome="failed", error="OSError: down", at=AT,
                                 attempts=0, next_try_at=None, sent_at=None, message_id="",
                                 requeued_at=None, requeued_by="")  # fmt: skip
    seen = shown(legacy, principal=Principal("chef", Role.SUPERVISOR), may_retry=True)
    assert (seen.outcome, seen.can_retry) == ("given_up", True)
    legacy.next_try_at = AT  # failing, with a try to come: the worker's, not staff's
    seen = shown(legacy, principal=Principal("chef", Role.SUPERVISOR), may_retry=True)
    assert (seen.outcome, seen.can_retry) == ("failed", False)
