"""Time nodesms.segments() on 1,000-character texts.

Run ``python benchmarks/bench_segments.py``; it prints a markdown table of median times per
call in microseconds. ``main()`` does the same and returns the medians for other scripts.
"""

from __future__ import annotations

import functools
import statistics
import sys
import timeit
from pathlib import Path
from typing import Literal

# Runnable from a checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import median_range
from nodesms.enums import Encoding
from nodesms.text import segments

LENGTH = 1000


def _fit(sample: str) -> str:
    return (sample * (LENGTH // len(sample) + 1))[:LENGTH]


ASCII = _fit("Your verification code is 482913. Do not share it. ")
ESCAPES = _fit("Save 20€ on {all} items [today] only! ")
LATIN = _fit("Café niño über Ärger für Öl à la crème. ")
TURKISH = _fit("Pijamalı hasta yağız şoföre çabucak güvendi. ")
CYRILLIC = _fit("Съешь же ещё этих мягких французских булок. ")
EMOJI = _fit("Kampanya 🎉 başladı 😀 ")
# 1525 septets: a tight fit for 10 parts, the one case that walks the parts to see where the
# escape pairs fall (a pair is never cut in two).
TIGHT = "€" * 525 + "a" * 475

CASES: list[tuple[str, str, Encoding | Literal["auto"]]] = [
    ("ASCII, DEFAULT", ASCII, Encoding.DEFAULT),
    ("ASCII, auto", ASCII, "auto"),
    ("ASCII + € { [, DEFAULT", ESCAPES, Encoding.DEFAULT),
    ("ASCII + € { [, auto", ESCAPES, "auto"),
    ("Latin-1 (é ñ ü), auto", LATIN, "auto"),
    ("Turkish, TURKISH", TURKISH, Encoding.TURKISH),
    ("Turkish, auto", TURKISH, "auto"),
    ("Cyrillic, auto", CYRILLIC, "auto"),
    ("emoji (UCS-2), UNICODE", EMOJI, Encoding.UNICODE),
    ("emoji (UCS-2), auto", EMOJI, "auto"),
    ("525 € in a tight fit (part walk), auto", TIGHT, "auto"),
]


def main(number: int = 2000, repeat: int = 7) -> dict[str, float]:
    """Time every case; print a markdown table and return the medians in microseconds."""
    medians: dict[str, float] = {}
    print(f"segments() on {LENGTH}-character texts, median (range) of {repeat} x {number} calls\n")
    print("| text, encoding | result | µs/call |")
    print("|---|---|---:|")
    for name, text, encoding in CASES:
        result = segments(text, encoding)
        times = timeit.repeat(
            functools.partial(segments, text, encoding), number=number, repeat=repeat
        )
        per_call = [t / number * 1e6 for t in times]
        medians[name] = statistics.median(per_call)
        summary = f"{result.encoding.name} {result.parts} parts / {result.units} units"
        print(f"| {name} | {summary} | {median_range(per_call, 2)} |")
    return medians


if __name__ == "__main__":
    main()
