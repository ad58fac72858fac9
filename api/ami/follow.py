"""The live state follows the call-center file: at start and on every reload (POST /admin/config/reload).

Rules:
- The file's languages name the queues: each becomes a card on the wallboard (empty until AMI events arrive),
  titled with the language's name in its own script; the seats' skills map languages to these queues.
- What a queue the file no longer names becomes is `LiveState.configure`'s rule: it goes once nobody is in it.
"""

from __future__ import annotations

from api.ami.service import LiveService
from callcenter.config import CallCenter


def file_queues(callcenter: CallCenter | None) -> dict[str, tuple[str, str]]:
    """The call-center file's queues: name -> (language code, the language's name in its own script)."""
    return {language.queue: (language.code, language.name) for language in callcenter.languages} if callcenter else {}


def follow_file(live: LiveService, callcenter: CallCenter | None) -> None:
    """Bring the live state and the language -> queue map in line with `callcenter`; publish if anything changed."""
    queues = file_queues(callcenter)
    live.queues_by_language = {language: name for name, (language, _label) in queues.items()}
    if live.state.configure(queues):
        live.publish()
