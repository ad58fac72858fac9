"""`python -m benchmarks [PART ...] [--quick] [--results-dir DIR]`: run the benchmark parts (all by default)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import asterisk_load, fastagi, ingest, journey, reports, wallboard
from benchmarks.common import RESULTS_DIR, Options, machine
from benchmarks.guide_search import main as guide_search_main  # issue 16
from benchmarks.prompt_codecs import main as prompt_codecs_main  # issue 18

PARTS: dict[str, Callable[[Options], Any]] = {
    "fastagi": fastagi.main,
    "ingest": ingest.main,
    "reports": reports.main,
    "wallboard": wallboard.main,
    "asterisk": asterisk_load.main,
    "journey": journey.main,
    "guide_search": guide_search_main,  # issue 16
    "prompt-codecs": prompt_codecs_main,  # issue 18: WAV-only vs codec-native prompts, Asterisk CPU per call
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("parts", nargs="*", metavar="PART", help=f"any of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that the benchmarks still run")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    unknown = [name for name in args.parts if name not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    options = Options(quick=args.quick, results_dir=args.results_dir)
    print(f"benchmarks on {machine()}", flush=True)
    failed: list[str] = []
    for name in args.parts or list(PARTS):
        started = time.monotonic()
        print(f"== {name}", flush=True)
        try:
            PARTS[name](options)
        except Exception as error:  # one part failing must not hide the others' figures
            print(f"== {name} FAILED: {error!r}", flush=True)
            failed.append(name)
        print(f"== {name} took {time.monotonic() - started:.1f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
