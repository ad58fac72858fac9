"""Fixtures more than one tier uses; the harness itself is tests/support/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.database import Database, database_with_tokens

SEATS = ("agent1001", "agent1002")  # the sandbox's first seats, as the pages' tests sign in


@pytest.fixture
def staff_database() -> Iterator[Database]:
    """A throw-away database with a token per role and per seat of `SEATS`, for the API outside demo mode."""
    with database_with_tokens("ivr_live", seats=SEATS) as database:
        yield database
