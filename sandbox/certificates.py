"""Self-signed certificates for the sandbox's TLS servers (Asterisk's WSS, the edge's WSS); never for production.

Rules: made once and kept (a browser that accepted one by hand keeps working after a restart); the key is written
0600 and both files appear whole (written beside, then renamed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sandbox.paths import SandboxError


def self_signed_certificate(key: Path, certificate: Path, *, days: int = 825) -> None:
    """Make `key` and `certificate` (127.0.0.1/localhost, self-signed) unless both exist; sandbox only."""
    if certificate.exists() and key.exists():
        return
    if shutil.which("openssl") is None:
        raise SandboxError("openssl is not installed (run `make system-deps`)")
    key.parent.mkdir(parents=True, exist_ok=True)
    partial_key, partial_cert = key.with_suffix(".key.new"), certificate.with_suffix(".crt.new")
    command = [
        "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", str(days), "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", str(partial_key), "-out", str(partial_cert),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if completed.returncode != 0:
        raise SandboxError(f"openssl could not make the sandbox certificate: {completed.stderr.strip()[-500:]}")
    partial_key.chmod(0o600)
    os.replace(partial_key, key)
    os.replace(partial_cert, certificate)
