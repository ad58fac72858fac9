"""Free loopback ports, asked of the kernel (bind to port 0), for servers the tests and benchmarks start."""

from __future__ import annotations

import os
import socket


def free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    """A port free now on 127.0.0.1 for TCP (default) or UDP (`socket.SOCK_DGRAM`)."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# SIPp's media ports come from their own range, between Asterisk's RTP range (rtp.conf: 10000-20000) and the
# kernel's ephemeral ports (32768 and up), which every client socket of Kamailio, Asterisk and the tests draws
# from. A counter walks the range in blocks of four (SIPp binds audio RTP/RTCP at -mp and video at -mp + 2), so
# two callers of one test run never get the same block, and each block is checked free before it is handed out.
MEDIA_RANGE = (20_004, 32_000)
_next_media = MEDIA_RANGE[0] + 4 * (os.getpid() % 500)


def free_media_port() -> int:
    """An even UDP port for RTP with the three above it free too (RTCP, video RTP and RTCP)."""
    global _next_media
    span = MEDIA_RANGE[1] - MEDIA_RANGE[0]
    for _attempt in range(span // 4):
        base = _next_media
        _next_media = MEDIA_RANGE[0] + (base + 4 - MEDIA_RANGE[0]) % span
        if _block_free(base, 4):
            return base
    raise RuntimeError("no free block of 4 UDP ports for SIPp's media")


def _block_free(base: int, size: int) -> bool:
    probes = []
    try:
        for offset in range(size):
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probes.append(probe)
            probe.bind(("127.0.0.1", base + offset))
        return True
    except OSError:
        return False
    finally:
        for probe in probes:
            probe.close()


def free_media_block(size: int = 4, *, attempts: int = 200) -> int:
    """An even UDP port with the `size - 1` ports above it free too: SIPp binds audio RTP/RTCP at -mp and video at
    -mp + 2, so a load run with many calls needs the whole block."""
    for _attempt in range(attempts):
        base = free_port(socket.SOCK_DGRAM) & ~1
        if _block_free(base, size):
            return base
    raise RuntimeError(f"no free block of {size} UDP ports for SIPp's media")
