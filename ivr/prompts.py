"""Prompt keys the flows play, and how a key becomes an Asterisk sound name.

Rules:
- Flows never spell a sound name: they name a `Prompt` and call `sound()`; `ivr prompts check` knows every key
  a flow can play because they are all members of this enum.
- Generated or recorded audio for key K in language L lives in `<asterisk sounds>/<L>/ivr/<K>.wav`, where
  Asterisk looks for `ivr/K` when the channel language is L (Asterisk searches sounds/<lang>/ then sounds/).
- To play a key in a language other than the channel's (the language menu speaks each option in its own
  language), the name is `<L>/ivr/<K>`: Asterisk's search falls back to the bare sounds directory, where it exists.
"""

from __future__ import annotations

import enum

SOUND_FOLDER = "ivr"


class Prompt(enum.StrEnum):
    GREETING = "greeting"
    LANGUAGE_OPTION = "language_option"  # "For French, press 3", spoken in each language itself
    LANGUAGE_CHOSEN = "language_chosen"
    INVALID_CHOICE = "invalid_choice"
    NO_INPUT = "no_input"
    AFTER_HOURS = "after_hours"  # hours in Morocco time and the portal address
    VOICEMAIL_INSTRUCTIONS = "voicemail_instructions"
    VOICEMAIL_THANKS = "voicemail_thanks"
    REQUEST_TYPE_MENU = "request_type_menu"
    REFERENCE_ENTRY = "reference_entry"
    REFERENCE_INVALID = "reference_invalid"
    TRANSFER_TO_AGENT = "transfer_to_agent"
    ALL_AGENTS_BUSY = "all_agents_busy"
    GOODBYE = "goodbye"


def sound(key: Prompt, language: str | None = None) -> str:
    """The Asterisk sound name for `key`: in the channel language, or in `language` explicitly."""
    if language is None:
        return f"{SOUND_FOLDER}/{key.value}"
    return f"{language}/{SOUND_FOLDER}/{key.value}"
