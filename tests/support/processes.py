"""Stopping a child process the tests or benchmarks started: politely, then firmly, never waiting forever."""

from __future__ import annotations

import asyncio


async def stop_process(process: asyncio.subprocess.Process, *, timeout_s: float = 15.0) -> int:
    """SIGTERM (after closing its stdin, if it has one), SIGKILL past `timeout_s`; returns the exit status."""
    if process.returncode is not None:
        return process.returncode
    if process.stdin is not None:
        process.stdin.close()
    process.terminate()
    try:
        return await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        process.kill()
        return await process.wait()
