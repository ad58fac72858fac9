"""The FastAGI servers under test, each run as its own process so its CPU can be read alone.

`python -m benchmarks.agi_servers ours` serves the real flows with the project's FastAgiServer (clock pinned
in hours); `... floor SEQUENCE.json` is the floor: a bare asyncio server that reads the environment and sends
the same command lines our flow sends, waiting for each reply, with no parsing, flow or channel logic.
Both print "port N" on stdout once listening and stop when stdin closes (the driver going away ends them too).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from benchmarks import flows_pinned
from benchmarks.common import raise_fd_limit
from ivr.adapters.fastagi_server import FastAgiServer
from ivr.settings import Settings


async def _floor_session(sequence: list[bytes], reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while (await reader.readline()) not in (b"\n", b""):
            pass  # the environment: the floor needs none of it
        for line in sequence:
            writer.write(line)
            if not await reader.readline():
                break
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _run(kind: str, sequence_path: Path | None, port: int) -> None:
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), stopped.set)  # EOF (or anything) on stdin: the driver is done
    if kind == "ours":
        ours = FastAgiServer(flows_pinned.FLOWS, flows_pinned.build_context(None, Settings()), max_calls=5000)
        await ours.start("127.0.0.1", port)
        print(f"port {ours.port}", flush=True)
        await stopped.wait()
        await ours.close(1.0)
        return
    assert sequence_path is not None
    sequence = [(line + "\n").encode() for line in json.loads(sequence_path.read_bytes())]  # noqa: ASYNC240

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _floor_session(sequence, reader, writer)

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    await stopped.wait()
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["ours", "floor"])
    parser.add_argument("sequence", nargs="?", type=Path, help="floor: JSON list of the command lines to send")
    parser.add_argument("--port", type=int, default=0, help="default: any free port")
    args = parser.parse_args()
    raise_fd_limit()
    # As `ivr agi` runs: INFO logging to stderr (the driver sends it to a file).
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_run(args.kind, args.sequence, args.port))


if __name__ == "__main__":
    main()
