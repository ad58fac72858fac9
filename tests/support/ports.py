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


def free_media_block(size: int = 4, *, attempts: int = 200) -> int:
    """An even UDP port with the `size - 1` ports above it free too: SIPp binds audio RTP/RTCP at -mp and video at
    -mp + 2, so a load run with many calls needs the whole block."""
    for _attempt in range(attempts):
        base = free_media_port()
        probes = []
        try:
            for offset in range(size):
                probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                probes.append(probe)
                probe.bind(("127.0.0.1", base + offset))
            return base
        except OSError:
            continue
        finally:
            for probe in probes:
                probe.close()
    raise RuntimeError(f"no free block of {size} UDP ports for SIPp's media")
