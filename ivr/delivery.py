"""The outbox's delivery decisions, sans-I/O: which spooled records to post now, what an answer means for each,
when a record stops being retried and is quarantined, how long the sender pauses, and which records a refusing
disk keeps in memory. ivr/adapters/outbox.py, spool.py and record_sender.py only do the file and HTTP work
these functions decide.

Rules:
- A spooled record is one file per call *version*: `<linkedid>@<version>.json` ("@" is never in a linkedid).
  A newer version never replaces the bytes of an older one in place, so a sender posting the older one cannot
  delete the newer one; a version superseded by a newer one of the same call in the spool is dropped without
  posting (the API keeps the newest version anyway, see callcenter.records).
- An answer is judged for the API or for the record. The API being away (no connection, timeout, 502/503/504,
  429, 401/403 from a misconfigured token; the API answers 503 while its database is down) is nobody's record's
  fault: no attempt is counted, the whole sender backs off. 413/422 mean the API will never accept this body:
  quarantined at once. Any other refusal (500, 400, 409, ...) is counted against the record when it was posted
  alone (a refused batch is retried one by one first, and so is any batch holding a record refused before).
- Each record keeps its own attempts and next retry time (backoff doubling from `base_delay_s` up to
  `max_delay_s`); after `max_attempts` refusals it is quarantined with the last reason. A record waiting for its
  retry time is skipped, so one poison record never holds back the records behind it.
- Batches take due records oldest first.
- While the API is away the whole sender backs off exponentially with jitter (`Backoff`: half fixed, half random,
  from an injected `random.Random`), so agi processes coming back together do not post in step; a pass the API
  answered resets it. A record the disk refused is `Held` in arrival order until it can be written.
- A side file's delivery state that is torn or foreign counts from zero (`decode_state`): never a lost record.
"""

from __future__ import annotations

import enum
import json
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Generic, TypeVar

T = TypeVar("T")

READY_SUFFIX = ".json"
STATE_SUFFIX = ".state"
UNSENDABLE = frozenset({413, 422})  # the API will refuse this body whatever we do
API_AWAY = frozenset({401, 403, 408, 429, 502, 503, 504})  # the API (or its proxy, or our token), not the record


class Answer(enum.Enum):
    DELIVERED = "delivered"
    API_AWAY = "api_away"  # try everything again later; count nothing against any record
    UNSENDABLE = "unsendable"  # quarantine now
    REFUSED = "refused"  # this record (or one in its batch) was refused: counts as an attempt when posted alone


def judge(status: int | None) -> Answer:
    """What a POST's status (None: no answer at all) means for the records it carried."""
    if status is None or status in API_AWAY:
        return Answer.API_AWAY
    if 200 <= status < 300:
        return Answer.DELIVERED
    if status in UNSENDABLE:
        return Answer.UNSENDABLE
    return Answer.REFUSED


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 8
    base_delay_s: float = 5.0
    max_delay_s: float = 900.0


@dataclass(frozen=True)
class DeliveryState:
    """One record's history of refusals (kept beside it in the spool as `<name>.state`)."""

    attempts: int = 0
    retry_at: float = 0.0  # seconds since the epoch; not before this
    last_error: str = ""


def encode_state(state: DeliveryState) -> str:
    return json.dumps(asdict(state))


def decode_state(text: str) -> DeliveryState:
    """A `.state` file's delivery state; a torn or foreign one counts again from zero (safe: never a loss)."""
    try:
        raw = json.loads(text)
        return DeliveryState(int(raw["attempts"]), float(raw["retry_at"]), str(raw["last_error"]))
    except (ValueError, KeyError, TypeError):
        return DeliveryState()


@dataclass(frozen=True)
class Quarantine:
    reason: str


def quarantine_note(reason: str, *, now: float) -> str:
    """The `.reason` file's text beside a quarantined record: when (UTC) and why."""
    return f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(now))} {reason[:4000]}\n"


def after_refusal(state: DeliveryState, *, reason: str, now: float, policy: Policy) -> DeliveryState | Quarantine:
    """The record was refused once more: its next retry time, or quarantine once it used up its attempts."""
    attempts = state.attempts + 1
    if attempts >= policy.max_attempts:
        return Quarantine(f"{reason} (after {attempts} attempts)")
    delay = min(policy.max_delay_s, policy.base_delay_s * 2 ** min(attempts - 1, 30))
    return replace(state, attempts=attempts, retry_at=now + delay, last_error=reason)


def is_due(state: DeliveryState, now: float) -> bool:
    return state.retry_at <= now


@dataclass(frozen=True)
class SpoolName:
    """A ready file's name taken apart: `<linkedid>@<version>.json` (a name without "@", as spooled before
    versions existed, is version 0 of the call it names)."""

    linkedid: str
    version: int
    file_name: str

    @property
    def state_name(self) -> str:
        return self.file_name.removesuffix(READY_SUFFIX) + STATE_SUFFIX


def spool_name(linkedid: str, version: int) -> SpoolName:
    return SpoolName(linkedid, version, f"{linkedid}@{version}{READY_SUFFIX}")


def parse_name(name: str) -> SpoolName | None:
    """The record a ready file's name stands for; None for anything else (temporaries, state files, strays)."""
    if name.startswith(".") or not name.endswith(READY_SUFFIX) or len(name) <= len(READY_SUFFIX):
        return None
    stem = name.removesuffix(READY_SUFFIX)
    linkedid, at, version = stem.rpartition("@")
    if not at:
        return SpoolName(stem, 0, name)
    if not linkedid or not version.isascii() or not version.isdigit():
        return None
    return SpoolName(linkedid, int(version), name)


@dataclass(frozen=True)
class Candidate:
    """A ready file as the sender sees it before claiming: its name, age and delivery state."""

    name: SpoolName
    spooled_at: float  # when it was written (for ordering and the backlog's age only, never for claims)
    state: DeliveryState = DeliveryState()


@dataclass(frozen=True)
class Plan:
    """One pass: what to post (oldest first) and what to drop because a newer version is spooled."""

    post: list[Candidate]
    superseded: list[Candidate]


def plan_pass(candidates: Iterable[Candidate], *, now: float) -> Plan:
    """The due records, oldest first (the sender claims from the front until its batch is full); older versions
    of a spooled call are superseded."""
    newest: dict[str, int] = {}
    every = list(candidates)
    for candidate in every:
        newest[candidate.name.linkedid] = max(newest.get(candidate.name.linkedid, -1), candidate.name.version)
    superseded = [c for c in every if c.name.version < newest[c.name.linkedid]]
    current = [c for c in every if c.name.version == newest[c.name.linkedid] and is_due(c.state, now)]
    current.sort(key=lambda c: (c.spooled_at, c.name.linkedid))
    return Plan(post=current, superseded=superseded)


def retried_alone(batch: Sequence[DeliveryState]) -> bool:
    """A batch holding a record that was refused before is posted one record at a time, so an innocent record
    never shares a poison one's refusals."""
    return any(state.attempts > 0 for state in batch)


@dataclass(frozen=True)
class Backlog:
    """What an operator (and /metrics) needs to know about a spool."""

    count: int = 0
    oldest_age_s: float = 0.0
    quarantined: int = 0
    disk_full: bool = False
    held_in_memory: int = 0
    write_failures: int = 0


def backlog(spooled_at: Sequence[float], *, now: float, quarantined: int, held_since: Sequence[float],
            disk_full: bool, write_failures: int) -> Backlog:  # fmt: skip
    """The backlog of a spool: ready files and records still held in memory (a full disk) count alike."""
    times = [*spooled_at, *held_since]
    return Backlog(
        count=len(times),
        oldest_age_s=max(0.0, now - min(times)) if times else 0.0,
        quarantined=quarantined,
        disk_full=disk_full,
        held_in_memory=len(held_since),
        write_failures=write_failures,
    )


@dataclass
class Backoff:
    """The sender's pause while the API is away, exponential with jitter: attempt n waits between d/2 and d, where
    d = min(max, base * 2**n). The jitter keeps agi processes coming back after an outage from posting in step."""

    base_delay: float = 0.5
    max_delay: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def next_delay(self) -> float:
        ceiling: float = min(self.max_delay, self.base_delay * 2 ** min(self.failures, 30))
        self.failures += 1
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0

    def after(self, report: PassReport, *, idle_s: float) -> float | None:
        """The pause before the next pass: backing off while the API is away, none while records move (there may
        be another batch waiting), else the idle interval. A pass the API answered resets the backoff."""
        if report.failed:
            return self.next_delay()
        self.reset()
        return None if report.moved else idle_s


@dataclass
class PassReport:
    """What one sending pass did; `failed` means the API could not be reached or refused for now."""

    sent: int = 0
    rejected: int = 0  # quarantined
    deferred: int = 0  # refused, retried later on their own backoff
    failed: bool = False

    @property
    def moved(self) -> bool:
        """Anything left the queue or was settled: there may be another batch waiting right away."""
        return bool(self.sent or self.rejected or self.deferred)


class Held(Generic[T]):
    """Records a refusing disk (full, failing) left in memory, in the order they came, each with when it was first
    held, and how many writes were refused in all. The alarm is raised by the first and ends with the last."""

    def __init__(self) -> None:
        self._items: dict[str, tuple[T, float]] = {}
        self.failures = 0

    def hold(self, key: str, item: T, *, now: float) -> bool:
        """Keep `item` (a newer copy replaces an older one but keeps its time); True if this raises the alarm."""
        raises = not self._items
        self.failures += 1
        self._items[key] = (item, self._items.get(key, (item, now))[1])
        return raises

    def written(self, key: str) -> bool:
        """`key` reached the disk: forget it; True if nothing is held any more."""
        self._items.pop(key, None)
        return not self._items

    def in_order(self) -> list[tuple[str, T]]:
        return [(key, item) for key, (item, _) in self._items.items()]

    def since(self) -> list[float]:
        return [since for _, since in self._items.values()]

    @property
    def count(self) -> int:
        return len(self._items)
