"""Loudness, clipping and silence of a prompt, and the trim and gain that bring it to the target (sans I/O).

Rules:
- One loudness for every prompt, recorded or synthesised, in every language: TARGET_DB of gated RMS, in dBFS.
  Gated like EBU R128 (blocks of BLOCK_S; an absolute gate drops silence, a relative gate drops the quiet tail
  of the distribution) but without R128's K-weighting: ffmpeg's loudnorm is not installed (scripts/system-deps.sh
  has sox, not ffmpeg), and on 300-3400 Hz telephone audio the K-weighting's high shelf changes little. The
  figure is "speech level" in the sense of ITU-T P.56 more than LUFS; it is the same measure for every file,
  which is what makes the levels match.
- The gain never pushes a peak above PEAK_CEILING_DB: a loud-peaked prompt ends up quieter than the target
  rather than clipped (and the check reports it).
- Silence is trimmed at both ends: an edge block is silent when it is quieter than the absolute gate or
  EDGE_BELOW_DB under the file's own loudness, so a recording's room noise goes too. The kept audio is padded
  with `pad` (seconds of digital silence before, after) so a prompt starts crisply and words do not collide.
- Clipping is counted in the source: runs of CLIP_RUN samples or more at full scale.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from dataclasses import dataclass

TARGET_DB = -23.0
PEAK_CEILING_DB = -1.0
TOLERANCE_DB = 1.5  # the check's allowance around the target
BLOCK_S = 0.02
ABSOLUTE_GATE_DB = -60.0
RELATIVE_GATE_DB = -15.0
EDGE_BELOW_DB = 35.0
FULL_SCALE = 32767
CLIP_LEVEL = 32700
CLIP_RUN = 3
SILENT_DB = -120.0
PROMPT_PAD = (0.02, 0.12)
NUMBER_PAD = (0.0, 0.04)  # number pieces are played back to back: "vingt" "et" "un"


def to_db(value: float) -> float:
    return SILENT_DB if value <= 0 else max(SILENT_DB, 20 * math.log10(value / FULL_SCALE))


@dataclass(frozen=True)
class Level:
    """What the check reports about one piece of audio."""

    loudness_db: float  # gated RMS, dBFS; SILENT_DB when nothing passes the gate
    peak_db: float
    clipped: int  # clipped runs
    lead_s: float  # silence before the first sound
    trail_s: float
    duration_s: float

    def problems(self, *, normalised: bool) -> list[str]:
        """Human-readable problems; `normalised` files are held to the target, sources only to sanity."""
        found = []
        if self.loudness_db <= SILENT_DB:
            return ["no audio above the silence gate"]
        if self.clipped:
            found.append(f"clipped ({self.clipped} runs at full scale)")
        if normalised:
            if abs(self.loudness_db - TARGET_DB) > TOLERANCE_DB:
                found.append(f"level {self.loudness_db:.1f} dBFS, target {TARGET_DB:.0f}")
            if self.peak_db > PEAK_CEILING_DB + 0.1:
                found.append(f"peak {self.peak_db:.1f} dBFS above {PEAK_CEILING_DB:.0f}")
            if self.lead_s > 0.15 or self.trail_s > 0.3:
                found.append(f"silence {self.lead_s:.2f} s before, {self.trail_s:.2f} s after")
        else:
            if self.loudness_db < -45:
                found.append(f"very quiet ({self.loudness_db:.0f} dBFS): noise will be raised with it")
            if self.lead_s > 1.5 or self.trail_s > 1.5:
                found.append(f"long silence ({self.lead_s:.1f} s before, {self.trail_s:.1f} s after; trimmed)")
            if self.duration_s - self.lead_s - self.trail_s < 0.2:
                found.append("shorter than 0.2 s of sound")
        return found


def _block_levels(samples: Sequence[int], rate: int) -> list[float]:
    """Mean square of each BLOCK_S block (the last one may be shorter)."""
    size = max(1, int(rate * BLOCK_S))
    levels = []
    for start in range(0, len(samples), size):
        block = samples[start:start + size]
        levels.append(sum(s * s for s in block) / len(block))
    return levels


def _gated_db(blocks: Sequence[float]) -> float:
    floor = (FULL_SCALE * 10 ** (ABSOLUTE_GATE_DB / 20)) ** 2
    loud = [b for b in blocks if b > floor]
    if not loud:
        return SILENT_DB
    relative = (sum(loud) / len(loud)) * 10 ** (RELATIVE_GATE_DB / 10)
    kept = [b for b in loud if b > relative] or loud
    return to_db(math.sqrt(sum(kept) / len(kept)))


def count_clipped(samples: Sequence[int]) -> int:
    runs, length = 0, 0
    for sample in samples:
        if abs(sample) >= CLIP_LEVEL:
            length += 1
            if length == CLIP_RUN:
                runs += 1
        else:
            length = 0
    return runs


def _edges(blocks: Sequence[float], loudness_db: float) -> tuple[int, int]:
    """Index of the first sounding block and one past the last (0, 0 when none sounds)."""
    threshold_db = max(ABSOLUTE_GATE_DB, loudness_db - EDGE_BELOW_DB)
    threshold = (FULL_SCALE * 10 ** (threshold_db / 20)) ** 2
    sounding = [index for index, block in enumerate(blocks) if block > threshold]
    return (sounding[0], sounding[-1] + 1) if sounding else (0, 0)


def measure(samples: Sequence[int], rate: int) -> Level:
    blocks = _block_levels(samples, rate)
    loudness = _gated_db(blocks)
    peak = to_db(max((abs(s) for s in samples), default=0))
    first, last = _edges(blocks, loudness)
    size = max(1, int(rate * BLOCK_S))
    duration = len(samples) / rate
    if last == 0:
        return Level(loudness, peak, count_clipped(samples), duration, 0.0, duration)
    return Level(loudness, peak, count_clipped(samples), first * size / rate,
                 max(0.0, duration - last * size / rate), duration)


@dataclass(frozen=True)
class Normalised:
    samples: array[int]
    source: Level
    gain_db: float


def normalise(samples: Sequence[int], rate: int, pad: tuple[float, float] = PROMPT_PAD) -> Normalised:
    """Trim the silent edges, pad them with `pad`, and scale to TARGET_DB without passing PEAK_CEILING_DB."""
    source = measure(samples, rate)
    out: array[int] = array("h")
    if source.loudness_db <= SILENT_DB:
        return Normalised(out, source, 0.0)
    blocks = _block_levels(samples, rate)
    first, last = _edges(blocks, source.loudness_db)
    size = max(1, int(rate * BLOCK_S))
    kept = samples[first * size:min(len(samples), last * size)]
    peak = to_db(max(abs(s) for s in kept))
    gain_db = min(TARGET_DB - source.loudness_db, PEAK_CEILING_DB - peak)
    factor = 10 ** (gain_db / 20)
    out.extend([0] * int(pad[0] * rate))
    out.extend(max(-FULL_SCALE, min(FULL_SCALE, round(s * factor))) for s in kept)
    out.extend([0] * int(pad[1] * rate))
    return Normalised(out, source, gain_db)
