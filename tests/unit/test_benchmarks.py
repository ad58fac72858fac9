"""The FastAGI benchmark's quick mode still runs end to end, so `make bench` cannot rot unnoticed.

It is not a performance test: it checks that every server answered every call with the same command sequence,
and that the figures and ratios were computed and written.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import fastagi
from benchmarks.common import Options


def test_quick_fastagi_benchmark_runs_all_servers_and_writes_figures(tmp_path: Path) -> None:
    figures = fastagi.main(Options(quick=True, results_dir=tmp_path))

    written = json.loads((tmp_path / "fastagi-quick.json").read_text())
    assert written["results"] == figures["results"]
    sequence = figures["sequence"]
    assert "ANSWER" not in sequence  # the dialplan answered
    assert sequence[-1].startswith("EXEC MSet") and "IVR_STARTED=" in sequence[-1]  # the decision, one trip
    assert sum(line.startswith("EXEC Read") for line in sequence) >= 2  # greeting menu, then request-type menu
    length = len(sequence)
    for kind in ("ours", "floor"):
        for key, run in figures["results"][kind].items():
            assert run["calls"] > 0 and run["failures"] == 0, (kind, key, run)
            assert run["commands_per_call"] == [length], (kind, key, run)  # same path for every call
    process = figures["results"]["process_agi"]["sequential"]
    assert process["calls"] == 2 and process["failures"] == 0
    assert process["commands_per_call"] == [length]  # process AGI ran the very same flow
    ratios = figures["ratios"]
    assert ratios["ours_cpu_vs_floor"] is not None and ratios["process_agi_cpu_vs_ours"] is not None
