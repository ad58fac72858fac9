"""AMI for the demo caller and the tests: the project's one AMI client (api.ami.client's panoramisk link), with
every event kept and bounded waits for one.

Rules: one connection, no reconnect (a sandbox that drops AMI fails the test or the demo call, it is not
papered over); events are kept in arrival order and never dropped (a test or a demo lasts seconds); every wait is
bounded. Only api.ami.client is imported from the control plane: it needs panoramisk and nothing of FastAPI or
the database (tests/unit/test_import_rules.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable

from api.ami.client import AmiError, AmiLink, AmiLoginError, AmiMessage, AmiSettings
from sandbox.paths import SandboxError, SandboxPaths

__all__ = ["AmiClient", "AmiError", "AmiMessage", "ami_secret"]


def ami_secret(paths: SandboxPaths) -> str:
    """The AMI secret of the rendered sandbox (the demo-only one unless you replaced it)."""
    text = (paths.conf_dir / "manager_secrets.conf").read_text()
    match = re.search(r"^\s*secret\s*=\s*(\S+)", text, re.MULTILINE)
    if not match:
        raise SandboxError(f"no AMI secret in {paths.conf_dir / 'manager_secrets.conf'}")
    return match.group(1)


class AmiClient:
    """Log in, send actions, keep every event (`events`), wait for one (`wait_for`)."""

    AMI_USER = "ivr-api"

    def __init__(self) -> None:
        self.events: list[AmiMessage] = []
        self._changed = asyncio.Event()
        self._stack = contextlib.AsyncExitStack()
        self._link: AmiLink | None = None

    @classmethod
    async def connect(
        cls, *, secret: str, host: str = "127.0.0.1", port: int = 5038, timeout_s: float = 5.0
    ) -> AmiClient:
        """Logged in, or SandboxError; `timeout_s` bounds the login and every action."""
        client = cls()
        settings = AmiSettings(
            host=host, port=port, username=cls.AMI_USER, secret=secret, login_timeout_s=timeout_s,
            action_timeout_s=timeout_s,
        )  # fmt: skip
        try:
            client._link = await client._stack.enter_async_context(AmiLink(settings, on_event=client._keep).once())
        except (AmiLoginError, OSError, TimeoutError) as error:
            raise SandboxError(f"AMI on {host}:{port}: {error or type(error).__name__}") from error
        return client

    async def _keep(self, event: AmiMessage) -> None:
        self.events.append(event)
        self._changed.set()

    @property
    def link(self) -> AmiLink:
        if self._link is None:
            raise SandboxError("the AMI client is closed")
        return self._link

    async def action(self, name: str, **fields: str) -> AmiMessage:
        """An action with a one-message reply (QueueAdd, QueueRemove, Hangup); an error reply raises AmiError."""
        return await self.link.simple(name, **fields)

    async def listing(self, name: str, **fields: str) -> list[AmiMessage]:
        """An action whose reply is an event list (QueueStatus): its events, which are not in `events`."""
        return await self.link.listing(name, **fields)

    async def wait_for(
        self, predicate: Callable[[AmiMessage], bool], *, timeout_s: float, what: str = "an AMI event"
    ) -> AmiMessage:
        """The first event (already received or still to come) matching `predicate`."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        seen = 0
        while True:
            for event in self.events[seen:]:
                if predicate(event):
                    return event
            seen = len(self.events)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what} within {timeout_s} s")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def close(self) -> None:
        self._link = None
        await self._stack.aclose()
