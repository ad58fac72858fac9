"""Free loopback ports, asked of the kernel (bind to port 0), for servers the tests and benchmarks start."""

from __future__ import annotations

import socket


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port free now on 127.0.0.1 for TCP (default) or UDP (`socket.SOCK_DGRAM`)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_media_port() -> int:
    """An even UDP port for RTP (RTCP takes the odd one above it)."""
    return free_port(socket.SOCK_DGRAM) & ~1
