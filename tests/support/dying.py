"""A process dying at a commit, for the durability tests: every session's commit that writes a row the predicate
picks fails, "before_commit" (the database refuses it: nothing is written) or "after_commit" (written, then the
process dies before going on). SQLAlchemy session events, so the code under test runs unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy import event
from sqlalchemy.orm import Session, UOWTransaction


class Died(Exception):
    """The API process dying at the chosen commit (the code after it never runs)."""


@contextmanager
def dying_at(moment: Literal["before_commit", "after_commit"], *, writes: Callable[[object], bool]) -> Iterator[None]:
    """Within the block, a commit of a session that writes a row `writes` picks raises Died at `moment`."""

    def writing(session: Session) -> bool:
        return any(writes(row) for row in session.new)

    def mark(session: Session, _context: UOWTransaction) -> None:  # flushed early, or by the commit itself
        if writing(session):
            session.info["doomed"] = True

    def die(session: Session) -> None:
        if session.info.pop("doomed", False) or writing(session):
            raise Died(moment)

    event.listen(Session, "after_flush", mark)
    event.listen(Session, moment, die)
    try:
        yield
    finally:
        event.remove(Session, moment, die)
        event.remove(Session, "after_flush", mark)
