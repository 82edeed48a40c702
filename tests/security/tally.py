"""Counts of attacks tried and refused per category, printed at the end of the run."""

from collections import defaultdict

TRIED = defaultdict(int)
REFUSED = defaultdict(int)


def attempt(category, refused):
    """Count one attempt; returns ``refused`` so a test can assert on it."""
    TRIED[category] += 1
    if refused:
        REFUSED[category] += 1
    return refused


def summary_lines():
    lines = []
    for category in sorted(TRIED):
        mark = "" if TRIED[category] == REFUSED[category] else "   <-- NOT ALL REFUSED"
        lines.append(f"{category}: tried {TRIED[category]}, refused {REFUSED[category]}{mark}")
    return lines
