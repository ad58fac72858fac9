"""Call-center configurations the tests share."""

from __future__ import annotations

from pathlib import Path

from callcenter.config import CallCenter
from callcenter.loading import load_callcenter


def request_desk_callcenter(path: Path | None = None) -> CallCenter:
    """The call-center file (the shipped one by default) without its complaint workflow: every request moves on the
    request desk by its plain status (a request under the workflow moves only on /complaints)."""
    return load_callcenter(path).model_copy(update={"complaints": None})
