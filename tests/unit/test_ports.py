"""SIPp's media ports: distinct blocks of four, even, free, outside Asterisk's RTP range and the ephemeral ports."""

from __future__ import annotations

import socket

from tests.support.ports import MEDIA_RANGE, free_media_port


def test_media_ports_are_distinct_free_even_blocks_in_their_own_range() -> None:
    bases = [free_media_port() for _ in range(50)]
    assert len(set(bases)) == 50
    assert all(base % 2 == 0 and MEDIA_RANGE[0] <= base and base + 3 < MEDIA_RANGE[1] for base in bases)
    assert all(abs(a - b) >= 4 for a in bases for b in bases if a != b)


def test_a_busy_block_is_skipped() -> None:
    taken = free_media_port() + 4  # the block the counter offers next
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", taken + 1))  # its RTCP port is in use
        assert free_media_port() == taken + 4
