"""The credentials of open live sockets, checked again together: a revoked or expired token, or a session that
ended (signed out, expired, user disabled), closes its sockets within one period.

Rules:
- Every `every_s` (settings.credential_recheck_seconds), one query per kind (tokens, sessions) over the hashes of
  every open socket's credential: two queries per period whatever the number of pages. (One lookup per socket
  per period, 43 pages every 2 s, put ~10 ms on the wallboard's p50 latency: benchmarks/wallboard.py.)
- The checking task runs while at least one socket is watched and stops with the last one.
- A socket is told its close code through its `lapsed` future: 4401 when its credential lapsed, 1013 (try again
  later) when the database did not answer; the pages reconnect after 1013 and go to sign-in after 4401.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.config import ApiSettings
from api.crud import staff_sessions, tokens
from api.security.sessions import session_hash
from api.security.tokens import hash_secret

LAPSED = 4401
TRY_AGAIN_LATER = 1013  # RFC 6455 7.4.1 (IANA registry)


@dataclass(eq=False)
class Watched:
    token_hash: str | None
    session_hash: str | None
    lapsed: asyncio.Future[int] = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def close_with(self, code: int) -> None:
        if not self.lapsed.done():
            self.lapsed.set_result(code)


class CredentialWatch:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], settings: ApiSettings, clock: Callable[[], datetime]
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.clock = clock
        self._watched: set[Watched] = set()
        self._task: asyncio.Task[None] | None = None

    def watch(self, *, token: str | None, cookie: str | None) -> Watched:
        """Watch a socket opened with `token` (a bearer secret) or, without one, `cookie` (a session secret)."""
        watched = Watched(hash_secret(token) if token else None, None if token or not cookie else session_hash(cookie))
        self._watched.add(watched)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())
        return watched

    async def unwatch(self, watched: Watched) -> None:
        self._watched.discard(watched)
        if not self._watched and self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while self._watched:
            await asyncio.sleep(self.settings.credential_recheck_seconds)  # the period, not a wait for something
            await self.check_once()

    async def check_once(self) -> None:
        watched = list(self._watched)
        token_hashes = {w.token_hash for w in watched if w.token_hash}
        session_hashes = {w.session_hash for w in watched if w.session_hash}
        now = self.clock()
        try:
            async with self.sessions() as session:
                live_tokens = await tokens.live_token_hashes(
                    session, hashes=token_hashes, demo=self.settings.demo, now=now
                )
                live_sessions = await staff_sessions.live_session_hashes(
                    session, hashes=session_hashes, now=now, policy=self.settings.session_policy
                )
        except (SQLAlchemyError, OSError):
            for socket in watched:
                socket.close_with(TRY_AGAIN_LATER)
            return
        for socket in watched:
            if socket.token_hash not in live_tokens and socket.session_hash not in live_sessions:
                socket.close_with(LAPSED)
