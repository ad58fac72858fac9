"""Passive wallboard pages for benchmarks/wallboard.py, in their own process so their work does not share the
API's event loop: `python -m benchmarks.ws_pages URL COUNT deflate|plain` reads the token on stdin, opens COUNT sockets,
prints "ready", takes every message (as a browser would, without rendering) and exits when stdin closes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

import websockets


async def page(url: str, token: str, opened: asyncio.Queue[None], compression: str | None) -> None:
    async with websockets.connect(url, max_size=None, compression=compression) as socket:
        await socket.send(json.dumps({"token": token}))
        await asyncio.wait_for(socket.recv(), 10)  # hello
        opened.put_nowait(None)
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                await socket.recv()


async def main(url: str, count: int, compression: str | None) -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    token = (await reader.readline()).decode().strip()
    opened: asyncio.Queue[None] = asyncio.Queue()
    pages = [asyncio.create_task(page(url, token, opened, compression)) for _ in range(count)]
    for _ in range(count):
        await asyncio.wait_for(opened.get(), 30)
    print("ready", flush=True)
    await reader.read()  # until the driver closes stdin
    for task in pages:
        task.cancel()
    await asyncio.gather(*pages, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), "deflate" if sys.argv[3] == "deflate" else None))
