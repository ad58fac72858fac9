"""`ivr outbox list|retry`: what an operator needs to see and replay in a spool (ivr/adapters/outbox.py).

`list` prints the backlog (records waiting, the oldest one's age, records held in memory) and every quarantined
record with the reason it was set aside; `retry NAME...` (or `--all`) puts quarantined records back in the spool
with fresh attempts, for the running agi processes to send. Wiring only: the Outbox does the work.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ivr.adapters.outbox import Outbox
from ivr.settings import Settings


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(prog="ivr outbox", description="Inspect the call-record spool; replay records.")
    parser.add_argument("--spool", type=Path, default=settings.spool_dir, help="spool directory (IVR_SPOOL_DIR)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the backlog and the quarantined records with their reasons")
    retry = commands.add_parser("retry", help="put quarantined records back in the spool")
    retry.add_argument("names", nargs="*", help="quarantined file names, as `list` prints them")
    retry.add_argument("--all", action="store_true", help="every quarantined record")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    outbox = Outbox(args.spool)
    if args.command == "list":
        stats = outbox.stats()
        print(f"spool {outbox.directory}: {stats.count} waiting, oldest {stats.oldest_age_s:.0f} s, "
              f"{stats.quarantined} quarantined")  # fmt: skip
        for name, reason in outbox.quarantined().items():
            print(f"quarantined {name}: {reason}")
        return 0
    names = list(outbox.quarantined()) if args.all else args.names
    if not names and not args.all:
        parser.error("name the records to retry, or pass --all")
    missing = [name for name in names if not outbox.retry(name)]
    for name in missing:
        print(f"no quarantined record {name}", file=sys.stderr)
    print(f"{len(names) - len(missing)} record(s) back in {outbox.directory}")
    return 1 if missing else 0
