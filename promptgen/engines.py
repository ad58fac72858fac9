"""Speech synthesis engines, best first: gTTS (online, probed once per build), espeak-ng (offline)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path
from typing import Protocol

from promptgen.audio import SynthesisError


class Engine(Protocol):
    name: str
    suffix: str  # what synthesize() writes (".wav", ".mp3"); sox reads it by suffix

    def available(self) -> bool: ...

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        """Write `text` spoken by `voice` to `dest`, or raise."""
        ...


class EspeakEngine:
    """espeak-ng (Debian package): offline, robotic but intelligible; ~25 ms a prompt."""

    name = "espeak-ng"
    suffix = ".wav"

    def __init__(self, timeout_s: float = 30.0) -> None:
        self.timeout_s = timeout_s

    def available(self) -> bool:
        return shutil.which("espeak-ng") is not None

    def synthesize(self, text: str, voice: str, dest: Path) -> None:
        # Text on stdin: never parsed as an option, whatever it starts with.
        result = subprocess.run(
            ["espeak-ng", "-v", voice, "-w", str(dest), "--stdin"],
            input=text.encode(), capture_output=True, timeout=self.timeout_s, check=False,
        )
        if result.returncode != 0:
            raise SynthesisError(f"espeak-ng -v {voice}: {result.stderr.decode(errors='replace').strip()}")


def tcp_reachable(host: str, port: int, timeout_s: float) -> bool:
    """True when a TCP connection opens within timeout_s, name resolution included (it ignores socket timeouts,
    so the attempt runs in a daemon thread and is abandoned at the deadline)."""
    outcome: list[bool] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout_s):
                outcome.append(True)
        except OSError:
            outcome.append(False)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout_s)
    return bool(outcome and outcome[0])


class GttsEngine:
    """Google Translate's voices through gTTS: natural, online only, no Amazigh. Probed once per build."""

    name = "gtts"
    suffix = ".mp3"

    def __init__(self, host: str = "translate.google.com", port: int = 443, probe_timeout_s: float = 1.5,
                 request_timeout_s: float = 5.0) -> None:
        self.host, self.port = host, port
        self.probe_timeout_s, self.request_timeout_s = probe_timeout_s, request_timeout_s
        self._reachable: bool | None = None

    def available(self) -> bool:
        if self._reachable is None:
            self._reachable = tcp_reachable(self.host, self.port, self.probe_timeout_s)
        return self._reachable

    def synthesize(self, text: str, voice: str, dest: Path) -> None:  # pragma: no cover - needs Google's service
        from gtts import gTTS  # imported here: a build without network never pays for it

        try:
            gTTS(text, lang=voice, timeout=(self.probe_timeout_s, self.request_timeout_s)).save(str(dest))
        except Exception as exc:  # gTTS raises requests' and its own errors alike
            raise SynthesisError(f"gtts {voice}: {exc}") from exc


def default_engines(offline: bool) -> list[Engine]:
    return [EspeakEngine()] if offline else [GttsEngine(), EspeakEngine()]
